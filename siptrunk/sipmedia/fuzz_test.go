package sipmedia

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
)

// sdpBodies are the SDP bodies of the SIP trunk's test messages (RFC 4475
// and INVITEs captured from baresip, in siptrunk/testdata).
func sdpBodies(tb testing.TB) []string {
	var out []string
	for _, pattern := range []string{"rfc4475/*.dat", "captured/*.sip"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", pattern))
		if err != nil || len(files) == 0 {
			tb.Fatalf("no seeds in ../testdata/%s: %v", pattern, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			if _, body, ok := bytes.Cut(data, []byte("\r\n\r\n")); ok && bytes.HasPrefix(body, []byte("v=0")) {
				out = append(out, string(body))
			}
		}
	}
	return out
}

// FuzzSDPAnswer: whatever a peer offers, the SDP code never panics; the
// socket back-ends (plain RTP, SDES, DTLS without ICE) either refuse the
// offer or answer with SDP pion's parser accepts — one audio section with
// exactly one codec plus telephone-event, and, taking video, at most one
// VP8 video section — and then take the same offer as an in-dialog
// update without a panic.
func FuzzSDPAnswer(f *testing.F) {
	for _, s := range sdpBodies(f) {
		f.Add(s)
	}
	f.Add(plainOffer)
	f.Add(plainOffer + "m=video 40004 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=rtcp-fb:* ccm fir\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		_, _ = fromSIP(offer)
		_, _ = parseSDPMedia(offer).remote()
		_, _ = chooseCodec([]string{"opus", "pcmu", "pcma"}, offer)
		for _, kind := range []sockKind{sockRTP, sockSDES, sockDTLS} {
			answerOnce(t, kind, offer, false)
			if OffersVP8(offer) {
				answerOnce(t, kind, offer, true)
			}
		}
	})
}

func answerOnce(t *testing.T, kind sockKind, offer string, video bool) {
	m, err := newSockMedia(net.ParseIP("127.0.0.1"), []string{"pcmu", "pcma", "opus"}, kind, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	m.wantVideo = video
	defer func() { _ = m.Close() }()
	answer, err := m.Answer(context.Background(), offer)
	if err != nil {
		return
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		t.Fatalf("our answer does not parse: %v\n%s", err, answer)
	}
	// One audio section answered; any other section of the offer is
	// refused with port 0 (RFC 3264 §6), never left out.
	var live []*sdp.MediaDescription
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value != 0 {
			live = append(live, md)
		}
	}
	if len(live) == 2 && m.vid != nil && live[1].MediaName.Media == "video" {
		if f := live[1].MediaName.Formats; len(f) != 1 || !OffersVP8(answer) {
			t.Fatalf("answer's video is not VP8 alone:\n%s", answer)
		}
		live = live[:1]
	}
	if len(live) != 1 || live[0].MediaName.Media != "audio" {
		t.Fatalf("answer has %d live media sections, want one audio (and VP8 video):\n%s", len(live), answer)
	}
	if n := len(live[0].MediaName.Formats); n < 1 || n > 2 {
		t.Fatalf("answer offers %d formats, want one codec (+ telephone-event):\n%s", n, answer)
	}
	_, _ = m.Update(offer)
}

// FuzzWantsKeyframeRaw: the video stream's RTCP scan never panics nor
// reads past its input, whatever arrives.
func FuzzWantsKeyframeRaw(f *testing.F) {
	for _, req := range [][]rtcp.Packet{keyframeRequest(1, 2, false, 0), keyframeRequest(1, 2, true, 1)} {
		b, err := rtcp.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { _ = wantsKeyframeRaw(b) })
}
