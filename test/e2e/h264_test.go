package e2e

import (
	"fmt"
	"testing"
	"time"

	"xphone/configs"
)

// inboundVideoCodecJS lists the MIME types of the codecs the page's
// current call receives video in (getStats: inbound-rtp → codec).
const inboundVideoCodecJS = `(async () => {
  const pc = window.xphone && window.xphone.pc();
  if (!pc) return [];
  const report = await pc.getStats();
  const out = [];
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && s.codecId && report.get(s.codecId)) {
      out.push(report.get(s.codecId).mimeType);
    }
  });
  return out;
})()`

// TestH264VideoCall: with media.video_codec: h264, two Chromium users in a
// video call send each other H.264 through the server (Debian's Chromium
// encodes and decodes it: OpenH264 and FFmpeg), and both decode it.
func TestH264VideoCall(t *testing.T) {
	cfg, err := configs.Parse([]byte(fmt.Sprintf(configTemplate, "30s")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Media.VideoCodec = "h264"
	srv := startServer(t, serverOptions{parsed: cfg})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	start := time.Now()
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", true, true)
	for _, p := range []*browser{a, b} {
		p.requireMediaFlowing(true, 15*time.Second)
		var codecs []string
		p.eval(inboundVideoCodecJS, &codecs)
		if len(codecs) == 0 || codecs[0] != "video/H264" {
			t.Fatalf("%s receives video in %v, want video/H264", p.name, codecs)
		}
	}
	t.Logf("H.264 video call between two Chromiums: both decoding 5 frames %s after dialling", time.Since(start).Round(time.Millisecond))
}
