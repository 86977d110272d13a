package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"xphone/sfu/sfutest"
)

// janusRoomID is the VideoRoom confload creates.
const janusRoomID = 1234

// janusPeer is one participant on Janus: its session, and a PeerConnection
// per direction (a publisher's own, one subscription for the others' video),
// as a browser using the VideoRoom holds them.
type janusPeer struct {
	sess    *janusSession
	pub     *sfutest.Client // nil for a viewer
	feed    uint64          // the publisher's id in the room
	sub     *sfutest.Client // nil when there is nobody else to watch
	started bool
}

func (p *janusPeer) clients() []*sfutest.Client {
	var out []*sfutest.Client
	for _, c := range []*sfutest.Client{p.pub, p.sub} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (p *janusPeer) close() {
	for _, c := range p.clients() {
		_ = c.Close()
	}
	p.sess.close()
}

// janusVeth is the interface bench/janus/veth.sh gives Janus: its only
// ICE address. The fake browsers gather on it too, as a browser on the
// server's network would.
const janusVeth = "xbench0"

func janusClient(o sfutest.Options) sfutest.Options {
	o.Interfaces = []string{janusVeth}
	return o
}

// createJanusRoom creates the VideoRoom: VP8 and Opus, no bitrate cap.
func createJanusRoom(ctx context.Context, j *janusServer) error {
	s, err := newJanusSession(ctx, j.base)
	if err != nil {
		return err
	}
	defer s.close()
	h, err := s.attach(ctx)
	if err != nil {
		return err
	}
	_, err = s.post(ctx, fmt.Sprintf("%s/%d/%d", s.base, s.id, h), map[string]any{"janus": "message", "body": map[string]any{
		"request": "create", "room": janusRoomID, "publishers": 200, "bitrate": 0,
		"videocodec": "vp8", "audiocodec": "opus", "notify_joining": false, "fir_freq": 0}})
	return err
}

// publishJanus joins p as a publisher: joinandconfigure with the offer.
func publishJanus(ctx context.Context, p *janusPeer, o options, i int) error {
	c, err := sfutest.NewClientWith(janusClient(o.clientOptions(true)))
	if err != nil {
		return err
	}
	p.pub = c
	h, err := p.sess.attach(ctx)
	if err != nil {
		return err
	}
	offer, err := c.Offer(ctx)
	if err != nil {
		return err
	}
	ev, err := p.sess.message(ctx, h, map[string]any{"request": "joinandconfigure", "room": janusRoomID,
		"ptype": "publisher", "display": fmt.Sprintf("P%d", i), "audio": true, "video": true},
		map[string]string{"type": "offer", "sdp": offer})
	if err != nil {
		return err
	}
	if ev.JSEP == nil {
		return fmt.Errorf("%w: publisher %d: no answer", errJanus, i)
	}
	if id, ok := ev.PluginData.Data["id"].(float64); ok {
		p.feed = uint64(id)
	}
	if err := c.Answer(ev.JSEP.SDP); err != nil {
		return err
	}
	if err := p.sess.trickleDone(ctx, h); err != nil {
		return err
	}
	if err := c.Connected(ctx); err != nil {
		return err
	}
	c.StartSending(byte(i))
	return nil
}

// subscribeJanus subscribes p to the video (mid 1, the fake browser's
// video transceiver) of every feed but its own, in one subscription.
func subscribeJanus(ctx context.Context, p *janusPeer, o options, feeds []uint64) error {
	var streams []map[string]any
	for _, f := range feeds {
		if f != p.feed {
			streams = append(streams, map[string]any{"feed": f, "mid": "1"})
		}
	}
	if len(streams) == 0 {
		return nil
	}
	c, err := sfutest.NewClientWith(janusClient(sfutest.Options{ReceiveVideo: true}))
	if err != nil {
		return err
	}
	p.sub = c
	h, err := p.sess.attach(ctx)
	if err != nil {
		return err
	}
	ev, err := p.sess.message(ctx, h, map[string]any{"request": "join", "room": janusRoomID,
		"ptype": "subscriber", "streams": streams}, nil)
	if err != nil {
		return err
	}
	if ev.JSEP == nil {
		return fmt.Errorf("%w: subscriber: no offer", errJanus)
	}
	answer, err := c.AnswerOffer(ctx, ev.JSEP.SDP)
	if err != nil {
		return err
	}
	if _, err := p.sess.message(ctx, h, map[string]any{"request": "start"},
		map[string]string{"type": "answer", "sdp": answer}); err != nil {
		return err
	}
	if err := p.sess.trickleDone(ctx, h); err != nil {
		return err
	}
	return c.Connected(ctx)
}

// joinJanusRoom joins o.publishers publishers, then subscribes everyone to
// the publishers' video: the Xphone room's shape (publishers see each
// other, the rest only view).
func joinJanusRoom(ctx context.Context, j *janusServer, o options) ([]*janusPeer, error) {
	var peers []*janusPeer
	var feeds []uint64
	for i := 0; i < o.n; i++ {
		jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		s, err := newJanusSession(jctx, j.base)
		if err == nil {
			p := &janusPeer{sess: s}
			peers = append(peers, p)
			if i < o.publishers {
				err = publishJanus(jctx, p, o, i)
				feeds = append(feeds, p.feed)
			}
		}
		cancel()
		if err != nil {
			return peers, fmt.Errorf("janus participant %d: %w", i, err)
		}
	}
	for i, p := range peers {
		jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := subscribeJanus(jctx, p, o, feeds)
		cancel()
		if err != nil {
			return peers, fmt.Errorf("janus subscriber %d: %w", i, err)
		}
		if (i+1)%25 == 0 {
			fmt.Fprintf(os.Stderr, "  %d subscribed\n", i+1)
		}
	}
	return peers, nil
}
