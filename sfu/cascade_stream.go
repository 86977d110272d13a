package sfu

import (
	"github.com/pion/srtp/v3"
)

// maxSeqStep bounds how far the cascade's sequence number moves per
// packet: a stream gated off for minutes (not among the top K talkers)
// resumes a little ahead, never half the sequence space away, so both
// ends always agree on SRTP's rollover counter.
const maxSeqStep = 1000

// cascadeStream is one track as this node sends it to other nodes: one
// SRTP context and one sequence for every destination, kept while the
// member is in the room. A sink re-made (a new host, a new edge) goes on
// with the same sequence, so no packet index is ever encrypted twice with
// different content under the node's key (AES-GCM must never reuse a
// nonce). Only the goroutine forwarding the track touches it.
type cascadeStream struct {
	ctx      *srtp.Context
	seq      uint16 // the last sequence number sent
	lastOrig uint16 // the source's sequence number it stood for
	started  bool
}

// next is the sequence number to send source packet orig with: every
// sink of the stream asks for every packet, gated or not, so the same
// packet gets the same number on every link. False for a packet a little
// older than the last one (late: dropped, as a loss); a jump further back
// or forward is a resumed stream and moves at most maxSeqStep.
func (st *cascadeStream) next(orig uint16) (uint16, bool) {
	if !st.started {
		st.started, st.seq, st.lastOrig = true, orig, orig
		return st.seq, true
	}
	if orig == st.lastOrig { // the same packet to another node: the same bytes
		return st.seq, true
	}
	if st.lastOrig-orig < maxSeqStep {
		return 0, false
	}
	st.seq += min(orig-st.lastOrig, maxSeqStep)
	st.lastOrig = orig
	return st.seq, true
}

// stream is ssrc's send state under the node's key, made on first use.
func (c *Cascade) stream(ssrc uint32, key CascadeKey) (*cascadeStream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.streams[ssrc]; st != nil {
		return st, nil
	}
	ctx, err := srtp.CreateContext(key.Key, key.Salt, cascadeProfile, cascadeRCC())
	if err != nil {
		return nil, wrapf(err, "cascade key")
	}
	st := &cascadeStream{ctx: ctx}
	c.streams[ssrc] = st
	return st, nil
}

// forget drops ssrc's send state: its member left the room here.
func (c *Cascade) forget(ssrc uint32) {
	c.mu.Lock()
	delete(c.streams, ssrc)
	c.mu.Unlock()
}

// cascadeRCC carries the rollover counter in every packet (RFC 4771
// RCCm3, 4 bytes): a node that links to a stream running for hours (a
// new host) decrypts it from its first packet.
func cascadeRCC() srtp.ContextOption { return srtp.RolloverCounterCarryingTransform(srtp.RCCMode3, 1) }
