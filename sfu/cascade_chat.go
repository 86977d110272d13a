package sfu

import "context"

// SetChat makes f hear every chat message written by a member of this
// node (once each), to carry to the room's other nodes; f must not block.
// Set before the first stand-in joins.
func (r *CascadeRoom) SetChat(f func(ChatMessage)) {
	r.mu.Lock()
	r.sendChat = f
	r.mu.Unlock()
}

// chatOut runs on the conference goroutine for every new message as
// each stand-in is given it: the first hands on a message of a member of
// this node; the others, and messages from other nodes, are dropped.
func (r *CascadeRoom) chatOut(msg ChatMessage) {
	r.mu.Lock()
	_, remote := r.remote[msg.From]
	fresh := msg.ID > r.chatSent
	if fresh {
		r.chatSent = msg.ID
	}
	send := r.sendChat
	r.mu.Unlock()
	if fresh && !remote && send != nil {
		send(msg)
	}
}

// PostChat gives a message written on another node to this node's
// members and keeps it in the history here (numbered in this node's
// sequence). The sender's own node checked its length and rate.
func (r *CascadeRoom) PostChat(ctx context.Context, msg ChatMessage) error {
	conf := r.live()
	if conf == nil {
		return ErrNoMember
	}
	return conf.do(ctx, func() { conf.postChat(msg) })
}
