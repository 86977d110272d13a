package sfu

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// section is one m-section of a browser leg's SDP as the server negotiated
// it: what the browser offered, and what the server does with it. The leg
// writes its answers and its own offers from these (sdpwrite.go) and routes
// packets by them (webrtcleg_media.go).
type section struct {
	mid      string
	media    string   // the m= media name: audio, video, application…
	protos   []string // the m= protocols, as offered
	formats  []string // the offered formats; only used for a rejected section
	kind     Kind
	rejected bool // answered with port 0: unknown media or no usable codec
	recv     bool // the server receives on it (the browser sends)
	send     bool // the server sends on it (a DownTrack rides here)
	mayDown  bool // the browser is willing to receive on it
	pt       uint8
	rtpmap   string // of pt, e.g. "opus/48000/2"
	fmtp     string // the server's fmtp of a video pt ("" for VP8)
	dtmf     []format
	exts     []extmap
	rids     []string // simulcast layers the server receives, lowest first
	down     *DownTrack
	writer   *legWriter // down's; sends only once the browser knows ssrc
	ssrc     uint32     // of down
	screen   *UpTrack   // the shared screen's receiver (webrtcleg_screen.go)
	added    bool       // offered by the server and not answered yet
}

// format is a payload type with its rtpmap value.
type format struct {
	pt     uint8
	rtpmap string
}

// extmap is a negotiated RTP header extension.
type extmap struct {
	id  uint8
	uri string
}

// extensionsFor are the header extensions the server understands per kind;
// the answer keeps the offer's ids for these and drops the rest.
var extensionsFor = map[Kind][]string{
	Audio: {sdp.AudioLevelURI, sdp.SDESMidURI, sdp.TransportCCURI},
	Video: {sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI, sdp.TransportCCURI},
}

// defaultExtIDs number the extensions of a section the server adds when
// the browser offered none of its kind (an audio-only leg given video slots).
var defaultExtIDs = map[string]uint8{sdp.SDESMidURI: 4, sdp.SDESRTPStreamIDURI: 10,
	sdp.SDESRepairRTPStreamIDURI: 11, sdp.TransportCCURI: 3, sdp.AudioLevelURI: 1}

// offeredSection reads one m-section of a browser offer; o says which kinds
// are usable and which simulcast layers the browser sends.
func offeredSection(md *sdp.MediaDescription, o offer, ridsTaken bool) section {
	s := section{media: md.MediaName.Media, protos: md.MediaName.Protos, formats: md.MediaName.Formats}
	s.mid, _ = md.Attribute("mid")
	kind, ok := kindOf(s.media)
	s.kind = kind
	if !ok || rejected(md) || !o.canUse(kind) {
		s.rejected = true
		return s
	}
	for _, f := range rtpmaps(md) {
		name, _, _ := strings.Cut(f.rtpmap, "/")
		switch {
		case kind == Audio && strings.EqualFold(name, "opus") && s.rtpmap == "":
			s.pt, s.rtpmap = f.pt, f.rtpmap
		case kind == Audio && strings.EqualFold(name, "telephone-event") && dtmfRate(f.rtpmap):
			s.dtmf = append(s.dtmf, f)
		}
	}
	if kind == Video {
		s.pt, s.rtpmap, s.fmtp = pickVideo(md, o.videoOrder())
	}
	if s.rtpmap == "" { // another section of this kind had the codec, not this one
		s.rejected = true
		return s
	}
	s.exts = offeredExtensions(md, kind)
	dir := mediaDirection(md)
	s.recv = dir == "sendrecv" || dir == "sendonly"
	s.mayDown = dir == "sendrecv" || dir == "recvonly"
	if kind == Video && s.recv && !ridsTaken {
		s.rids = o.videoRIDs
	}
	return s
}

// mime is the codec the section carries, e.g. "video/H264".
func (s *section) mime() string {
	name, _, _ := strings.Cut(s.rtpmap, "/")
	if s.kind == Video && strings.EqualFold(name, "H264") {
		return mimeH264
	}
	return codecOf(s.kind).MimeType
}

// dtmfRate accepts telephone-event at 48 kHz and 8 kHz, as before.
func dtmfRate(rtpmap string) bool {
	_, rest, _ := strings.Cut(rtpmap, "/")
	rate, _, _ := strings.Cut(rest, "/")
	return rate == "48000" || rate == "8000"
}

// rtpmaps lists an m-section's a=rtpmap lines.
func rtpmaps(md *sdp.MediaDescription) []format {
	var out []format
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, ok := strings.Cut(a.Value, " ")
		n, err := strconv.ParseUint(pt, 10, 7)
		if ok && err == nil {
			out = append(out, format{pt: uint8(n), rtpmap: enc})
		}
	}
	return out
}

// offeredExtensions keeps the offer's ids of the extensions the server
// understands for kind.
func offeredExtensions(md *sdp.MediaDescription, kind Kind) []extmap {
	var out []extmap
	for _, a := range md.Attributes {
		if a.Key != "extmap" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) < 2 {
			continue
		}
		idText, _, _ := strings.Cut(f[0], "/")
		id, err := strconv.ParseUint(idText, 10, 8)
		if err != nil || id == 0 || id > 14 {
			continue // two-byte ids are not needed by any browser's offer
		}
		for _, uri := range extensionsFor[kind] {
			if f[1] == uri {
				out = append(out, extmap{id: uint8(id), uri: uri})
			}
		}
	}
	return out
}

// ext returns the id of uri in s, 0 if not negotiated.
func (s *section) ext(uri string) uint8 {
	for _, e := range s.exts {
		if e.uri == uri {
			return e.id
		}
	}
	return 0
}

// direction is the server's a= direction for s.
func (s *section) direction() string {
	switch {
	case s.send && s.recv:
		return "sendrecv"
	case s.send:
		return "sendonly"
	case s.recv:
		return "recvonly"
	}
	return "inactive"
}
