package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Engine-side SSRCs, declared in the answer so the browser expects them.
const (
	engineAudioSSRC = 0x11110001
	engineVideoSSRC = 0x22220002
)

// browser is a pion PeerConnection playing the browser: it offers Opus and
// VP8, bundled and rtcp-muxed, on 127.0.0.1.
type browser struct {
	pc           *webrtc.PeerConnection
	audio, video *webrtc.TrackLocalStaticRTP
	videoSender  *webrtc.RTPSender
	received     chan got       // what its remote tracks read
	plis         chan uint32    // media SSRCs of PLIs its video sender got
	wg           sync.WaitGroup // its reader goroutines
}

func newBrowser(t *testing.T, profiles ...dtls.SRTPProtectionProfile) *browser {
	t.Helper()
	return newBrowserWith(t, func(*webrtc.SettingEngine) {}, profiles...)
}

// newBrowserWith is newBrowser with its settings adjusted by tune.
func newBrowserWith(t *testing.T, tune func(*webrtc.SettingEngine), profiles ...dtls.SRTPProtectionProfile) *browser {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetDTLSRetransmissionInterval(100 * time.Millisecond)
	if len(profiles) > 0 {
		se.SetSRTPProtectionProfiles(profiles...)
	}
	tune(&se)
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me))
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		BundlePolicy: webrtc.BundlePolicyMaxBundle, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{pc: pc, received: make(chan got, 1024), plis: make(chan uint32, 64)}
	t.Cleanup(func() { _ = pc.Close(); b.wg.Wait() })
	b.addTracks(t)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		b.wg.Add(1)
		go b.readTrack(tr)
	})
	return b
}

func (b *browser) addTracks(t *testing.T) {
	var err error
	b.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "browser")
	if err != nil {
		t.Fatal(err)
	}
	b.video, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err = b.pc.AddTrack(b.audio); err != nil {
		t.Fatal(err)
	}
	if b.videoSender, err = b.pc.AddTrack(b.video); err != nil {
		t.Fatal(err)
	}
	b.wg.Add(1)
	go b.readRTCP()
}

func (b *browser) readTrack(tr *webrtc.TrackRemote) {
	defer b.wg.Done()
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		select {
		case b.received <- got{p.SSRC, p.PayloadType, p.SequenceNumber, string(p.Payload)}:
		default:
		}
	}
}

func (b *browser) readRTCP() {
	defer b.wg.Done()
	for {
		pkts, _, err := b.videoSender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if pli, ok := p.(*rtcp.PictureLossIndication); ok {
				select {
				case b.plis <- pli.MediaSSRC:
				default:
				}
			}
		}
	}
}

// offer creates the offer with every candidate gathered.
func (b *browser) offer(t *testing.T) string {
	t.Helper()
	offer, err := b.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(b.pc)
	if err := b.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(3 * time.Second):
		t.Fatal("ICE gathering timed out")
	}
	return b.pc.LocalDescription().SDP
}

func (b *browser) accept(t *testing.T, answer string) {
	t.Helper()
	err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	if err != nil {
		t.Fatalf("answer rejected: %v\n%s", err, answer)
	}
}

// offerParams are what the engine needs from an offer.
type offerParams struct {
	ufrag, fingerprint string
}

func parseOffer(t *testing.T, raw string) (*sdp.SessionDescription, offerParams) {
	t.Helper()
	var s sdp.SessionDescription
	if err := s.UnmarshalString(raw); err != nil {
		t.Fatal(err)
	}
	var op offerParams
	look := func(key string) string {
		if v, ok := s.Attribute(key); ok {
			return v
		}
		for _, m := range s.MediaDescriptions {
			if v, ok := m.Attribute(key); ok {
				return v
			}
		}
		return ""
	}
	op.ufrag, op.fingerprint = look("ice-ufrag"), look("fingerprint")
	if op.ufrag == "" || op.fingerprint == "" {
		t.Fatalf("offer lacks ufrag or fingerprint:\n%s", raw)
	}
	return &s, op
}

// buildAnswer answers every m-section of the offer with its first codec,
// the engine's ICE-lite credentials, fingerprint, role and host candidate,
// and one declared SSRC per section for what the engine sends.
func buildAnswer(t *testing.T, offer *sdp.SessionDescription, l Local) string {
	t.Helper()
	ans := &sdp.SessionDescription{
		Origin: sdp.Origin{Username: "-", SessionID: 1, SessionVersion: 1,
			NetworkType: "IN", AddressType: "IP4", UnicastAddress: "127.0.0.1"},
		SessionName:      "-",
		TimeDescriptions: []sdp.TimeDescription{{}},
	}
	ans.WithPropertyAttribute("ice-lite")
	var mids []string
	for _, om := range offer.MediaDescriptions {
		mid, _ := om.Attribute("mid")
		mids = append(mids, mid)
		ans.WithMedia(answerMedia(t, om, mid, l))
	}
	ans.WithValueAttribute("group", "BUNDLE "+strings.Join(mids, " "))
	out, err := ans.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func answerMedia(t *testing.T, om *sdp.MediaDescription, mid string, l Local) *sdp.MediaDescription {
	pt := om.MediaName.Formats[0]
	var rtpmap string
	for _, a := range om.Attributes {
		if a.Key == "rtpmap" && strings.HasPrefix(a.Value, pt+" ") {
			rtpmap = a.Value
		}
	}
	if rtpmap == "" {
		t.Fatalf("no rtpmap for %s in m=%s", pt, om.MediaName.Media)
	}
	ssrc := uint32(engineAudioSSRC)
	if om.MediaName.Media == "video" {
		ssrc = engineVideoSSRC
	}
	m := &sdp.MediaDescription{
		MediaName: sdp.MediaName{Media: om.MediaName.Media, Port: sdp.RangedPort{Value: 9},
			Protos: om.MediaName.Protos, Formats: []string{pt}},
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4",
			Address: &sdp.Address{Address: "127.0.0.1"}},
	}
	m.WithValueAttribute("mid", mid).WithValueAttribute("rtpmap", rtpmap).
		WithPropertyAttribute("rtcp-mux").WithPropertyAttribute("sendrecv").
		WithValueAttribute("ice-ufrag", l.Ufrag).WithValueAttribute("ice-pwd", l.Pwd).
		WithValueAttribute("fingerprint", l.Fingerprint).WithValueAttribute("setup", l.Setup).
		WithValueAttribute("msid", "engine "+om.MediaName.Media).
		WithValueAttribute("ssrc", fmt.Sprintf("%d cname:engine", ssrc))
	for _, c := range l.Candidates {
		m.WithValueAttribute("candidate", c)
	}
	return m.WithPropertyAttribute("end-of-candidates")
}

// connect runs offer → engine peer → answer and waits for the engine's keys.
func connect(t *testing.T, e *Engine, b *browser, role Role, h Handler) *Peer {
	t.Helper()
	offer, op := parseOffer(t, b.offer(t))
	p, err := e.AddPeer(PeerConfig{RemoteUfrag: op.ufrag, RemoteFingerprint: op.fingerprint,
		Role: role, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	b.accept(t, buildAnswer(t, offer, p.Local()))
	waitReady(t, p)
	return p
}

// waitReady waits for p's keys, failing the test if it fails or stalls.
func waitReady(t *testing.T, p *Peer) {
	t.Helper()
	select {
	case <-p.Ready():
	case <-p.Done():
		t.Fatalf("peer failed: %v", p.Err())
	case <-time.After(5 * time.Second):
		t.Fatal("ICE+DTLS did not complete in 5 s")
	}
}

// sendUntil has the browser send audio and video until the engine's
// handler has seen want packets of each, and checks every payload.
func sendUntil(t *testing.T, b *browser, r *recorder, tag string, want int) map[uint8]uint32 {
	t.Helper()
	seen := map[uint8]int{}
	ssrcs := map[uint8]uint32{}
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for seq := uint16(1); seen[111] < want || seen[96] < want; {
		select {
		case g := <-r.rtp:
			if exp := fmt.Sprintf("%s-pt%d-seq%d", tag, g.pt, g.seq); g.payload != exp {
				t.Fatalf("engine got payload %q, browser sent %q", g.payload, exp)
			}
			seen[g.pt]++
			ssrcs[g.pt] = g.ssrc
		case <-tick.C:
			for _, tr := range []struct {
				track *webrtc.TrackLocalStaticRTP
				pt    uint8
			}{{b.audio, 111}, {b.video, 96}} {
				p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: tr.pt, SequenceNumber: seq},
					Payload: []byte(fmt.Sprintf("%s-pt%d-seq%d", tag, tr.pt, seq))}
				if err := tr.track.WriteRTP(p); err != nil {
					t.Fatal(err)
				}
			}
			seq++
		case <-deadline:
			t.Fatalf("engine saw %v packets per payload type, want %d", seen, want)
		}
	}
	return ssrcs
}

func TestBrowserInterop(t *testing.T) {
	cases := []struct {
		name     string
		role     Role
		profiles []dtls.SRTPProtectionProfile
		want     dtls.SRTPProtectionProfile
	}{
		{"passive/default profiles", RoleServer, nil, dtls.SRTP_AEAD_AES_128_GCM},
		{"passive/aes-cm only", RoleServer,
			[]dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80}, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		{"active/default profiles", RoleClient, nil, dtls.SRTP_AEAD_AES_128_GCM},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t)
			b := newBrowser(t, tc.profiles...)
			r := newRecorder()
			p := connect(t, e, b, tc.role, r)
			if got := p.Profile(); got != tc.want {
				t.Fatalf("negotiated %s, want %s", profileName(got), profileName(tc.want))
			}
			ssrcs := sendUntil(t, b, r, "up", 3)
			engineToBrowser(t, e, p, b)
			pliToBrowser(t, p, b, ssrcs[96])
			rtcpFromBrowser(t, b, r)
		})
	}
}

// engineToBrowser sends one batch (audio + video) at a time until the
// browser's remote tracks have read both, with exact payloads.
func engineToBrowser(t *testing.T, e *Engine, p *Peer, b *browser) {
	t.Helper()
	batch := e.NewBatch(4)
	seen := map[uint32]bool{}
	deadline := time.After(5 * time.Second)
	for seq := uint16(100); !seen[engineAudioSSRC] || !seen[engineVideoSSRC]; seq++ {
		for _, s := range []struct {
			ssrc uint32
			pt   uint8
		}{{engineAudioSSRC, 111}, {engineVideoSSRC, 96}} {
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: s.pt, SequenceNumber: seq,
				Timestamp: uint32(seq) * 960, SSRC: s.ssrc}, Payload: []byte(fmt.Sprintf("down-%x-%d", s.ssrc, seq))}
			if err := batch.AddRTP(p, pkt); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Flush(); err != nil {
			t.Fatal(err)
		}
		select {
		case g := <-b.received:
			if exp := fmt.Sprintf("down-%x-%d", g.ssrc, g.seq); g.payload != exp {
				t.Fatalf("browser got payload %q, engine sent %q", g.payload, exp)
			}
			seen[g.ssrc] = true
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("browser read only %v", seen)
		}
	}
}

func pliToBrowser(t *testing.T, p *Peer, b *browser, videoSSRC uint32) {
	t.Helper()
	raw, err := rtcp.Marshal([]rtcp.Packet{&rtcp.PictureLossIndication{
		SenderSSRC: engineVideoSSRC, MediaSSRC: videoSSRC}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(3 * time.Second)
	for {
		if err := p.WriteRTCP(raw); err != nil {
			t.Fatal(err)
		}
		select {
		case ssrc := <-b.plis:
			if ssrc != videoSSRC {
				t.Fatalf("PLI for %x, want %x", ssrc, videoSSRC)
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("the browser's video sender never read the PLI")
		}
	}
}

func rtcpFromBrowser(t *testing.T, b *browser, r *recorder) {
	t.Helper()
	want := &rtcp.PictureLossIndication{SenderSSRC: 0xabc, MediaSSRC: engineVideoSSRC}
	if err := b.pc.WriteRTCP([]rtcp.Packet{want}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(3 * time.Second)
	for {
		select {
		case raw := <-r.rtcp:
			pkts, err := rtcp.Unmarshal(raw)
			if err != nil {
				t.Fatalf("OnRTCP got undecodable bytes: %v", err)
			}
			if slices.ContainsFunc(pkts, func(p rtcp.Packet) bool {
				pli, ok := p.(*rtcp.PictureLossIndication)
				return ok && *pli == *want
			}) {
				return
			}
		case <-deadline:
			t.Fatal("the browser's PLI never reached OnRTCP")
		}
	}
}
