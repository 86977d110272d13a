package sipmedia

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// TestSockMediaRTCP: both socket back-ends send reports every interval,
// muxed or on the port above RTP, as SRTCP in the SRTP modes; each side
// accepts the other's (authenticated) and the audio keeps flowing. The
// SR carries our SSRC and the packet and octet counts really sent.
func TestSockMediaRTCP(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind sockKind
		mux  bool
	}{{"rtp mux", sockRTP, true}, {"rtp port+1", sockRTP, false}, {"sdes mux", sockSDES, true},
		{"sdes port+1", sockSDES, false}, {"dtls mux", sockDTLS, true}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newSockPeer(t, tc.kind, "pcmu"), newSockPeer(t, tc.kind, "pcmu")
			a.m.rtcpEvery, b.m.rtcpEvery = 50*time.Millisecond, 50*time.Millisecond
			offer, err := a.m.Offer(context.Background())
			must(t, err)
			if !tc.mux {
				offer = strings.Replace(offer, "a=rtcp-mux\r\n", "", 1)
			}
			answer, err := b.m.Answer(context.Background(), offer)
			must(t, err)
			must(t, a.m.Accept(answer))
			a.m.Start(a.onRTP)
			b.m.Start(b.onRTP)
			sendUntilHeard(t, a, b, bytes.Repeat([]byte{0x55}, 160))
			sendUntilHeard(t, b, a, bytes.Repeat([]byte{0xd5}, 160))
			waitUntil(t, 3*time.Second, "reports both ways", func() bool {
				return a.m.stats.rtcpReceived.Load() >= 3 && b.m.stats.rtcpReceived.Load() >= 3
			})
			if r := a.m.stats.rejected.Load() + b.m.stats.rejected.Load(); r != 0 {
				t.Errorf("%d packets rejected", r)
			}
			checkSR(t, a)
			a.reset()
			sendUntilHeard(t, b, a, bytes.Repeat([]byte{0xd6}, 160))
		})
	}
}

// checkSR opens a report of a's as its peer would and checks its sender
// info.
func checkSR(t *testing.T, a *sockPeer) {
	t.Helper()
	sealed, err := a.m.sealReport(make([]byte, 0, 1500))
	must(t, err)
	a.m.wmu.Lock()
	ssrc, sent, octets := a.m.whdr.SSRC, a.m.txPackets, a.m.txOctets
	a.m.wmu.Unlock()
	plain := sealed
	switch a.m.kind {
	case sockDTLS:
		return // keys inside the handshake; the counts above show b accepted them
	case sockSDES: // a context of our own: b's is busy on its read loop
		k := a.m.sdes.key
		_, rx, err := newRxContexts(a.m.sdes.profile, k[:16], k[16:])
		must(t, err)
		plain, err = rx.DecryptRTCP(nil, sealed, nil)
		must(t, err)
	}
	pkts, err := rtcp.Unmarshal(plain)
	must(t, err)
	sr, ok := pkts[0].(*rtcp.SenderReport)
	if !ok || len(pkts) != 2 {
		t.Fatalf("report is %T ×%d, want SR + SDES", pkts[0], len(pkts))
	}
	if sr.SSRC != ssrc || uint64(sr.PacketCount) != sent || uint64(sr.OctetCount) != octets || octets != 160*sent {
		t.Errorf("SR ssrc %x packets %d octets %d, want %x %d %d", sr.SSRC, sr.PacketCount, sr.OctetCount, ssrc, sent, octets)
	}
	if d := time.Since(time.Unix(int64(sr.NTPTime>>32)-ntpEpochOffset, 0)); d < -time.Second || d > 2*time.Second {
		t.Errorf("SR NTP time %v off", d)
	}
}
