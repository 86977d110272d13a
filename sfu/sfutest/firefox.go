package sfutest

import (
	"slices"

	"github.com/pion/sdp/v3"
)

// FirefoxStyle rewrites an offer the way Firefox writes its own: with
// max-bundle every m-section after the first is "a=bundle-only" with port
// 0 and no candidates of its own (RFC 9143 §7.2). The media it describes
// is still in use. The text is returned unchanged if it does not parse.
func FirefoxStyle(offer string) string {
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(offer); err != nil {
		return offer
	}
	for i, md := range parsed.MediaDescriptions {
		if i == 0 {
			continue
		}
		md.MediaName.Port = sdp.RangedPort{Value: 0}
		md.ConnectionInformation = &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: "0.0.0.0"}}
		md.Attributes = slices.DeleteFunc(md.Attributes, func(a sdp.Attribute) bool {
			return a.Key == "candidate" || a.Key == "end-of-candidates"
		})
		md.Attributes = append([]sdp.Attribute{{Key: "bundle-only"}}, md.Attributes...)
	}
	out, err := parsed.Marshal()
	if err != nil {
		return offer
	}
	return string(out)
}

// FirefoxStyleReanswer rewrites a client's answer to a server
// renegotiation offer as Firefox writes it: the first known m-sections
// keep their DTLS role, the new ones say "a=setup:active" although they
// share the BUNDLE transport (Firefox 153 does this for added video slots).
func FirefoxStyleReanswer(answer string, known int) string {
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(answer); err != nil {
		return answer
	}
	for i, md := range parsed.MediaDescriptions {
		if i < known {
			continue
		}
		for j, a := range md.Attributes {
			if a.Key == "setup" {
				md.Attributes[j].Value = "active"
			}
		}
	}
	out, err := parsed.Marshal()
	if err != nil {
		return answer
	}
	return string(out)
}
