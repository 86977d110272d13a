package sfu

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"xphone/sfu/engine"
)

// rtcpFeedback is what the server asks for per kind, as it registered with
// pion before: transport-wide feedback for both, and for video REMB,
// keyframe requests and NACK.
var rtcpFeedback = map[Kind][]string{
	Audio: {"transport-cc"},
	Video: {"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"},
}

// opusFmtp is the Opus format the server states; askForDTX adds usedtx=1.
const opusFmtp = "minptime=10;useinbandfec=1"

// writeSDP describes the leg's sections with the engine's ICE-lite
// parameters: an answer (setup from local) or an offer (actpass).
func writeSDP(legID string, version uint64, secs []*section, local engine.Local, offer bool) (string, error) {
	d := &sdp.SessionDescription{
		Origin: sdp.Origin{Username: "-", SessionID: sessionID(legID), SessionVersion: version,
			NetworkType: "IN", AddressType: "IP4", UnicastAddress: "0.0.0.0"},
		SessionName:      "-",
		TimeDescriptions: []sdp.TimeDescription{{}},
	}
	d.WithPropertyAttribute("ice-lite")
	var bundle []string
	for _, s := range secs {
		if !s.rejected {
			bundle = append(bundle, s.mid)
		}
	}
	if len(bundle) > 0 {
		d.WithValueAttribute("group", "BUNDLE "+strings.Join(bundle, " "))
	}
	d.WithValueAttribute("msid-semantic", " WMS *")
	setup := local.Setup
	if offer {
		setup = "actpass"
	}
	for _, s := range secs {
		if s.rejected {
			d.WithMedia(rejectedMedia(s))
			continue
		}
		d.WithMedia(mediaOf(legID, s, local, setup))
	}
	out, err := d.Marshal()
	if err != nil {
		return "", fmt.Errorf("%w: write sdp: %w", ErrNegotiation, err)
	}
	return askForDTX(string(out)), nil
}

// sessionID is a stable o= session id for the leg.
func sessionID(legID string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(legID); i++ {
		h = (h ^ uint64(legID[i])) * 1099511628211
	}
	return h >> 2 // below 2^63, as RFC 3264 suggests
}

// rejectedMedia answers a section the server does not use with port 0.
func rejectedMedia(s *section) *sdp.MediaDescription {
	// Firefox refuses an SDP with a section lacking its c= line, even a
	// refused one.
	m := &sdp.MediaDescription{MediaName: sdp.MediaName{Media: s.media, Port: sdp.RangedPort{Value: 0},
		Protos: s.protos, Formats: s.formats},
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4",
			Address: &sdp.Address{Address: "0.0.0.0"}}}
	if s.mid != "" {
		m.WithValueAttribute("mid", s.mid)
	}
	return m.WithPropertyAttribute("inactive")
}

// mediaOf describes one section in use.
func mediaOf(legID string, s *section, local engine.Local, setup string) *sdp.MediaDescription {
	formats := []string{strconv.Itoa(int(s.pt))}
	for _, f := range s.dtmf {
		formats = append(formats, strconv.Itoa(int(f.pt)))
	}
	m := &sdp.MediaDescription{
		MediaName: sdp.MediaName{Media: s.media, Port: sdp.RangedPort{Value: 9},
			Protos: []string{"UDP", "TLS", "RTP", "SAVPF"}, Formats: formats},
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4",
			Address: &sdp.Address{Address: "0.0.0.0"}},
	}
	m.WithValueAttribute("mid", s.mid).
		WithValueAttribute("ice-ufrag", local.Ufrag).WithValueAttribute("ice-pwd", local.Pwd).
		WithValueAttribute("fingerprint", local.Fingerprint).WithValueAttribute("setup", setup).
		WithPropertyAttribute("rtcp-mux").WithPropertyAttribute(s.direction())
	writeFormats(m, s)
	for _, e := range s.exts {
		m.WithValueAttribute("extmap", fmt.Sprintf("%d %s", e.id, e.uri))
	}
	writeSimulcast(m, s)
	if s.send {
		stream, track := "xphone-"+legID, trackID(s)
		m.WithValueAttribute("msid", stream+" "+track).
			WithValueAttribute("ssrc", fmt.Sprintf("%d cname:%s", s.ssrc, stream)).
			WithValueAttribute("ssrc", fmt.Sprintf("%d msid:%s %s", s.ssrc, stream, track))
	}
	for _, c := range local.Candidates {
		m.WithValueAttribute("candidate", c)
	}
	return m.WithPropertyAttribute("end-of-candidates")
}

// trackID is the msid track id of what the server sends on s; unique per
// leg, as browsers reject two m-lines with one msid.
func trackID(s *section) string { return s.kind.String() + "-" + s.mid }

// writeFormats adds rtpmap, fmtp and rtcp-fb lines.
func writeFormats(m *sdp.MediaDescription, s *section) {
	pt := strconv.Itoa(int(s.pt))
	m.WithValueAttribute("rtpmap", pt+" "+s.rtpmap)
	if s.kind == Audio {
		m.WithValueAttribute("fmtp", pt+" "+opusFmtp)
	}
	if s.kind == Video && s.fmtp != "" {
		m.WithValueAttribute("fmtp", pt+" "+s.fmtp)
	}
	for _, fb := range rtcpFeedback[s.kind] {
		m.WithValueAttribute("rtcp-fb", pt+" "+fb)
	}
	for _, f := range s.dtmf {
		dt := strconv.Itoa(int(f.pt))
		m.WithValueAttribute("rtpmap", dt+" "+f.rtpmap).WithValueAttribute("fmtp", dt+" 0-15")
	}
}

// writeSimulcast states the layers the server receives (RFC 8853).
func writeSimulcast(m *sdp.MediaDescription, s *section) {
	if len(s.rids) == 0 {
		return
	}
	for _, rid := range s.rids {
		m.WithValueAttribute("rid", rid+" recv")
	}
	m.WithValueAttribute("simulcast", "recv "+strings.Join(s.rids, ";"))
}
