package sfu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"

	"xphone/configs"
)

// TestAnswerIsICELiteOnTheEnginePort: the answer to Chromium's simulcast
// offer names the engine's one port in every candidate, says ice-lite and
// passive, bundles both sections, keeps Chromium's payload types and
// extension ids, receives the three layers and declares the SSRC of each
// stream the server sends; a section of an unknown kind is refused with
// port 0 and left out of the bundle.
func TestAnswerIsICELiteOnTheEnginePort(t *testing.T) {
	api := testMediaAPI(t)
	offer := firefoxSDP(t, "chromium-video-simulcast-offer.sdp") +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leg, answer, err := api.NewWebRTCLeg(ctx, Identity{Number: "1001"}, offer)
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Hangup(context.Background(), ReasonHangup)
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, answer)
	}
	if _, ok := d.Attribute("ice-lite"); !ok {
		t.Fatalf("answer lacks a=ice-lite:\n%s", answer)
	}
	if g, _ := d.Attribute("group"); g != "BUNDLE 0 1" {
		t.Fatalf("group %q, want BUNDLE 0 1 (the refused section left out)", g)
	}
	port := fmt.Sprintf(" %d typ host", api.LocalAddr().Port())
	for _, md := range d.MediaDescriptions[:2] {
		checkUsedSection(t, md, port)
	}
	if app := d.MediaDescriptions[2]; app.MediaName.Port.Value != 0 || app.ConnectionInformation == nil {
		t.Fatalf("datachannel section answered on port %d (c= %v), want 0 with a c= line Firefox needs",
			app.MediaName.Port.Value, app.ConnectionInformation)
	}
	video := d.MediaDescriptions[1]
	if v, _ := video.Attribute("simulcast"); v != "recv q;h;f" {
		t.Fatalf("video simulcast %q, want recv q;h;f", v)
	}
	if !strings.Contains(answer, "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1") {
		t.Fatalf("answer does not ask for Opus DTX:\n%s", answer)
	}
}

// checkUsedSection checks one answered section in use.
func checkUsedSection(t *testing.T, md *sdp.MediaDescription, port string) {
	t.Helper()
	if setup, _ := md.Attribute("setup"); setup != "passive" {
		t.Fatalf("m=%s setup %q, want passive", md.MediaName.Media, setup)
	}
	cands := 0
	ssrc := false
	for _, a := range md.Attributes {
		switch a.Key {
		case "candidate":
			cands++
			if !strings.HasSuffix(a.Value, port) {
				t.Fatalf("candidate %q is not on the engine's port", a.Value)
			}
		case "ssrc":
			ssrc = true
		}
	}
	if cands == 0 || !ssrc {
		t.Fatalf("m=%s has %d candidates, ssrc declared %v", md.MediaName.Media, cands, ssrc)
	}
	if md.MediaName.Media == "video" && md.MediaName.Formats[0] != "96" {
		t.Fatalf("video formats %v, want Chromium's VP8 96 first", md.MediaName.Formats)
	}
}

// TestMediaAPIPortRange: the engine takes a free port of the range, not
// the taken one at its start.
func TestMediaAPIPortRange(t *testing.T) {
	taken, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	p := uint16(taken.LocalAddr().(*net.UDPAddr).Port)
	api, err := NewMediaAPI(configs.Media{Interfaces: []string{"lo"}, UDPPortMin: p, UDPPortMax: p + 20}, nil, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if got := api.LocalAddr().Port(); got <= p || got > p+20 {
		t.Fatalf("engine on port %d, want one of %d-%d (%d is taken)", got, p+1, p+20, p)
	}
}

// TestNoMediaAddressRefusesLegs: with no address to advertise the server
// still starts, and each browser leg is refused with ErrNoMedia (its user
// is told to check media.interfaces) instead of a silent call.
func TestNoMediaAddressRefusesLegs(t *testing.T) {
	api, err := NewMediaAPI(configs.Media{Interfaces: []string{"nosuchif0"}}, nil, testLogger())
	if err != nil {
		t.Fatalf("server does not start without a media address: %v", err)
	}
	defer api.Close()
	_, _, err = api.NewWebRTCLeg(context.Background(), Identity{Number: "1001"}, firefoxSDP(t, "audio-offer.sdp"))
	if !errors.Is(err, ErrNoMedia) {
		t.Fatalf("leg without a media address: %v, want ErrNoMedia", err)
	}
}
