package sfu

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"

	"xphone/sfu/sfutest"
)

// The SDP in testdata/firefox is what Firefox ESR 153 really exchanged with
// the product (recorded by test/e2e TestCaptureFirefoxSDP): an audio call,
// a video call with three simulcast layers, accepting a video call, a
// one-layer video call (a camera too small for simulcast), and a
// conference in which the server offered one more video slot; and one
// offer of Chromium's, for comparison.

// firefoxSDP reads one recorded SDP.
func firefoxSDP(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "firefox", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseFirefoxOffers(t *testing.T) {
	for _, tc := range []struct {
		file   string
		video  bool
		layers []string
	}{
		{"audio-offer.sdp", false, nil},
		{"video-simulcast-offer.sdp", true, []string{"q", "h", "f"}},
		{"accept-video-offer.sdp", true, []string{"q", "h", "f"}},
		{"conference-0-sent-dial.sdp", true, []string{"q", "h", "f"}},
		{"video-single-offer.sdp", true, nil},
		{"chromium-video-simulcast-offer.sdp", true, []string{"q", "h", "f"}}, // the same facts from Chromium's SDP
	} {
		t.Run(tc.file, func(t *testing.T) {
			o := parseOffer(firefoxSDP(t, tc.file))
			if !o.sends[Audio] || !o.receives[Audio] || !o.canUse(Audio) {
				t.Fatalf("audio: sends %v receives %v codecs %v", o.sends[Audio], o.receives[Audio], o.codecs[Audio])
			}
			// Firefox's video m-section has port 0 and a=bundle-only: in use, both ways.
			if o.sends[Video] != tc.video || o.receives[Video] != tc.video {
				t.Fatalf("video: sends %v receives %v, want %v", o.sends[Video], o.receives[Video], tc.video)
			}
			if tc.video && !o.canUse(Video) {
				t.Fatalf("video codecs %v: VP8 not found", o.codecs[Video])
			}
			if !slices.Equal(o.videoRIDs, tc.layers) {
				t.Fatalf("simulcast layers %v, want %v", o.videoRIDs, tc.layers)
			}
			if tc.layers != nil && !o.ridExtension {
				t.Fatal("the rtp-stream-id extension (a=extmap:9/sendonly) was not found")
			}
			if p := o.problems(); len(p) != 0 {
				t.Fatalf("problems %+v, want none", p)
			}
		})
	}
}

// answerSection is what a test checks of one m-section of an answer.
type answerSection struct {
	port       int
	direction  string
	formats    []string
	simulcast  string
	extensions map[string]string // URI → id
	setup      string
}

func answerSections(t *testing.T, text string) map[string]answerSection {
	t.Helper()
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(text); err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, text)
	}
	out := map[string]answerSection{}
	for _, md := range parsed.MediaDescriptions {
		s := answerSection{port: md.MediaName.Port.Value, direction: mediaDirection(md), formats: md.MediaName.Formats,
			extensions: map[string]string{}}
		s.simulcast, _ = md.Attribute("simulcast")
		s.setup, _ = md.Attribute("setup")
		for _, a := range md.Attributes {
			if a.Key == "extmap" {
				if f := strings.Fields(a.Value); len(f) >= 2 {
					s.extensions[f[1]] = f[0]
				}
			}
		}
		out[md.MediaName.Media] = s
	}
	return out
}

// TestAnswerFirefoxOffers answers each recorded offer and checks the answer
// and the tracks the leg sets up: video both ways with Firefox's payload
// type (120) and extension ids, simulcast layers received and mapped to
// layers 0–2 lowest first.
func TestAnswerFirefoxOffers(t *testing.T) {
	api := testMediaAPI(t)
	for _, tc := range []struct {
		file   string
		video  bool
		layers []string
	}{
		{"audio-offer.sdp", false, nil},
		{"video-simulcast-offer.sdp", true, []string{"q", "h", "f"}},
		{"accept-video-offer.sdp", true, []string{"q", "h", "f"}},
		{"video-single-offer.sdp", true, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: "1001"}, firefoxSDP(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer leg.Hangup(context.Background(), ReasonHangup)
			sec := answerSections(t, answer)
			audio := sec["audio"]
			if audio.port == 0 || audio.direction != "sendrecv" || !slices.Equal(audio.formats, []string{"109", "101"}) {
				t.Fatalf("audio answered %+v, want sendrecv with Firefox's opus 109 and telephone-event 101", audio)
			}
			if audio.extensions[sdp.AudioLevelURI] != "1" || audio.setup != "passive" {
				t.Fatalf("audio answered %+v, want audio level as extension 1 and setup:passive (the engine is the DTLS server)", audio)
			}
			ups, downs := leg.Ups(), leg.Downs()
			if !tc.video {
				if _, ok := sec["video"]; ok || len(ups) != 1 || len(downs) != 1 {
					t.Fatalf("audio call: video section %v, %d ups, %d downs", ok, len(ups), len(downs))
				}
				return
			}
			video := sec["video"]
			if video.port == 0 || video.direction != "sendrecv" || !slices.Equal(video.formats, []string{"120"}) {
				t.Fatalf("video answered %+v, want sendrecv VP8 on Firefox's payload type 120", video)
			}
			var rids []string
			for _, u := range videoLayers(leg) {
				rids = append(rids, u.RID())
				if u.MimeType() != "video/VP8" || (tc.layers != nil && u.Layer() != slices.Index(tc.layers, u.RID())) {
					t.Fatalf("video up %s: %s layer %d", u.ID(), u.MimeType(), u.Layer())
				}
			}
			if tc.layers == nil {
				if video.simulcast != "" || !slices.Equal(rids, []string{""}) {
					t.Fatalf("one-layer video: simulcast %q, ups %q", video.simulcast, rids)
				}
			} else {
				if video.simulcast != "recv q;h;f" || !slices.Equal(rids, tc.layers) {
					t.Fatalf("simulcast answered %q, ups %q, want recv q;h;f and layers %q", video.simulcast, rids, tc.layers)
				}
				if video.extensions[sdp.SDESRTPStreamIDURI] != "9" || video.extensions[sdp.SDESMidURI] != "3" {
					t.Fatalf("video extensions %v: want Firefox's ids (rid 9, mid 3)", video.extensions)
				}
			}
			if len(videoDowns(leg)) != 1 || len(leg.MediaProblems()) != 0 {
				t.Fatalf("%d video downs, problems %+v", len(videoDowns(leg)), leg.MediaProblems())
			}
		})
	}
}

// withoutCodec removes one payload type (and its rtx) from every m-section,
// as a browser that cannot send that codec would offer.
func withoutCodec(text string, pts ...string) string {
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(text); err != nil {
		return text
	}
	for _, md := range parsed.MediaDescriptions {
		md.MediaName.Formats = slices.DeleteFunc(md.MediaName.Formats, func(f string) bool { return slices.Contains(pts, f) })
		md.Attributes = slices.DeleteFunc(md.Attributes, func(a sdp.Attribute) bool {
			switch a.Key {
			case "rtpmap", "fmtp", "rtcp-fb":
				pt, _, _ := strings.Cut(a.Value, " ")
				return slices.Contains(pts, pt)
			}
			return false
		})
	}
	out, _ := parsed.Marshal()
	return string(out)
}

// TestOfferWithoutVP8 is a browser that offers video only in codecs the
// server does not forward: the call goes on with audio, the video section
// is turned off in the answer (not left to fail or stay black), and the
// leg says why.
func TestOfferWithoutVP8(t *testing.T) {
	api := testMediaAPI(t)
	offer := withoutCodec(firefoxSDP(t, "video-simulcast-offer.sdp"), "120", "124")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: "1001"}, offer)
	if err != nil {
		t.Fatalf("a VP8-less offer must still give an audio call: %v", err)
	}
	defer leg.Hangup(context.Background(), ReasonHangup)
	sec := answerSections(t, answer)
	if sec["audio"].port == 0 || sec["audio"].direction != "sendrecv" {
		t.Fatalf("audio answered %+v", sec["audio"])
	}
	if v := sec["video"]; v.port != 0 {
		t.Fatalf("video answered %+v, want it turned off (port 0)", v)
	}
	if len(videoLayers(leg)) != 0 || len(videoDowns(leg)) != 0 {
		t.Fatalf("video tracks set up without a common codec: ups %d downs %d", len(videoLayers(leg)), len(videoDowns(leg)))
	}
	p := leg.MediaProblems()
	if len(p) != 1 || p[0].Kind != Video || p[0].Reason != ProblemCodec ||
		!regexp.MustCompile(`VP8 or H.264 video.*only VP9, AV1`).MatchString(p[0].Message) {
		t.Fatalf("problems %+v, want one video codec problem naming VP8 or H.264 and the offered VP9, AV1", p)
	}
}

// TestSimulcastWithoutRIDExtension: layers the server cannot tell apart
// (no rtp-stream-id extension offered) are not accepted; the answer asks
// for one stream and the leg says why.
func TestSimulcastWithoutRIDExtension(t *testing.T) {
	api := testMediaAPI(t)
	offer := regexp.MustCompile(`(?m)^a=extmap:\d+(/\w+)? urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r?\n`).
		ReplaceAllString(firefoxSDP(t, "video-simulcast-offer.sdp"), "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: "1001"}, offer)
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Hangup(context.Background(), ReasonHangup)
	v := answerSections(t, answer)["video"]
	if v.port == 0 || v.direction != "sendrecv" || v.simulcast != "" {
		t.Fatalf("video answered %+v, want one plain sendrecv stream", v)
	}
	if n := len(videoLayers(leg)); n != 1 {
		t.Fatalf("%d video ups, want one", n)
	}
	if p := leg.MediaProblems(); len(p) != 1 || p[0].Reason != ProblemLayers {
		t.Fatalf("problems %+v, want one layers problem", p)
	}
}

func TestOrderLayers(t *testing.T) {
	for _, tc := range []struct {
		rids []string
		area map[string]int
		want []string
	}{
		{[]string{"f", "h", "q"}, nil, []string{"q", "h", "f"}},
		{[]string{"high", "low"}, nil, []string{"low", "high"}},
		{[]string{"a", "b", "c"}, nil, []string{"a", "b", "c"}},
		{[]string{"a", "b", "c"}, map[string]int{"a": 1280 * 720, "b": 320 * 180, "c": 640 * 360}, []string{"b", "c", "a"}},
	} {
		if got := orderLayers(tc.rids, tc.area); !slices.Equal(got, tc.want) {
			t.Errorf("orderLayers(%q, %v) = %q, want %q", tc.rids, tc.area, got, tc.want)
		}
	}
}

// TestFirefoxStylePublisherInRoom: a simulcast publisher whose offer is
// written as Firefox writes it (video bundle-only with port 0) has every
// layer bound when its RTP arrives, and a viewer in the room gets its video.
func TestFirefoxStylePublisherInRoom(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoAll)
	c, err := sfutest.NewSimulcastClient()
	if err != nil {
		t.Fatal(err)
	}
	leg := connectClientAs(t, api, "1001", c, sfutest.FirefoxStyle)
	if n := len(videoLayers(leg)); n != 3 || len(videoDowns(leg)) != 1 {
		t.Fatalf("Firefox-style publisher: %d video layers, %d video downs; want 3 and 1", n, len(videoDowns(leg)))
	}
	pub := enterRoom(t, rooms, "1001", c, leg)
	pub.client.VideoMarker.Store('F')
	pub.client.StartSending('a')
	viewer := joinRoom(t, api, rooms, "1002", true)
	for _, u := range videoLayers(leg) {
		eventually(t, 5*time.Second, "packets on layer "+u.RID(), func() bool { return u.Packets() > 0 })
	}
	eventually(t, 5*time.Second, "the viewer gets the Firefox-style publisher's video", func() bool {
		_, _, slots := viewer.obs.get()
		for _, s := range slots {
			if s.Member == leg.ID() {
				n, marker := viewer.client.VideoOn(s.Mid)
				return n > 0 && marker == 'F'
			}
		}
		return false
	})
}

// TestFirefoxStyleViewerGetsAddedSlots: a viewer that writes its offer and
// its answers to slot offers as Firefox does (bundle-only video; new
// m-sections answered "a=setup:active" on the shared transport) decodes
// both other members' videos, the second on the slot the server added.
func TestFirefoxStyleViewerGetsAddedSlots(t *testing.T) {
	api := testMediaAPI(t)
	rooms := testConferences(t, VideoAll)
	c, err := sfutest.NewClient(true)
	if err != nil {
		t.Fatal(err)
	}
	leg := connectClientAs(t, api, "1001", c, sfutest.FirefoxStyle)
	viewer := enterRoomAs(t, rooms, "1001", c, leg, func(answer string) string {
		return sfutest.FirefoxStyleReanswer(answer, 2)
	})
	for i, marker := range []byte{'B', 'C'} {
		p := joinRoom(t, api, rooms, []string{"1002", "1003"}[i], true)
		p.client.VideoMarker.Store(uint32(marker))
		p.client.StartSending(marker)
	}
	eventually(t, 10*time.Second, "both videos on the Firefox-style viewer's slots", func() bool {
		_, _, slots := viewer.obs.get()
		seen := map[byte]bool{}
		for _, s := range slots {
			if n, marker := viewer.client.VideoOn(s.Mid); n > 0 {
				seen[marker] = true
			}
		}
		return seen['B'] && seen['C'] && len(slots) == 2
	})
}
