package engine

import (
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/stun/v4"
)

// FuzzHandle feeds arbitrary datagrams to the read loop's demultiplexer,
// from the bound peer's address and from a stranger's: nothing may panic,
// and every datagram is counted once.
func FuzzHandle(f *testing.F) {
	e := newTestEngine(f)
	p, c := addFakePeer(f, e, &countHandler{}, true)
	stranger := dialEngine(f, e)
	rtpRaw, _ := videoPacket(3).Marshal()
	srtpRaw, _ := c.encrypt.EncryptRTP(nil, rtpRaw, nil)
	rtcpRaw, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 1}})
	srtcpRaw, _ := c.encrypt.EncryptRTCP(nil, rtcpRaw, nil)
	req := stun.MustBuild(stun.TransactionID, stun.BindingRequest,
		stun.NewUsername(p.Local().Ufrag+":client"), useCandidate{},
		stun.NewShortTermIntegrity(p.Local().Pwd), stun.Fingerprint)
	for _, seed := range [][]byte{srtpRaw, srtcpRaw, req.Raw, {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0}, {0x80}} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	l := newLoop(e)
	peerSA := newSockaddr(e.v4, clientAddr(c.conn))
	strangerSA := newSockaddr(e.v4, clientAddr(stranger))
	f.Fuzz(func(t *testing.T, data []byte, fromPeer bool) {
		if len(data) >= slotSize {
			data = data[:slotSize-1]
		}
		sa := &strangerSA
		if fromPeer {
			sa = &peerSA
		}
		n := copy(l.m.bufs[0], data)
		l.m.inject(0, sa, n)
		before := e.Stats()
		l.handle(0)
		after := e.Stats()
		if after.Received != before.Received+1 {
			t.Fatalf("received went %d → %d", before.Received, after.Received)
		}
		if after.Panics != before.Panics {
			t.Fatal("panicked")
		}
	})
}
