package sipmedia

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pion/srtp/v3"
)

// srtpPair protects our packets and checks the peer's. Each context is
// used by one side only (writes under sockMedia.wmu, reads on the read
// loop); the peer's RTCP has its own context because without rtcp-mux it
// is read on another goroutine.
type srtpPair struct {
	tx, rx, rtcpRx *srtp.Context
}

// newSRTPPair builds contexts from master keys and salts.
func newSRTPPair(profile srtp.ProtectionProfile, txKey, txSalt, rxKey, rxSalt []byte) (*srtpPair, error) {
	tx, err := srtp.CreateContext(txKey, txSalt, profile)
	if err != nil {
		return nil, fmt.Errorf("%w: SRTP: %v", ErrSDP, err)
	}
	rx, rtcpRx, err := newRxContexts(profile, rxKey, rxSalt)
	if err != nil {
		return nil, err
	}
	return &srtpPair{tx: tx, rx: rx, rtcpRx: rtcpRx}, nil
}

// newRxContexts builds the contexts checking the peer's SRTP and SRTCP.
func newRxContexts(profile srtp.ProtectionProfile, key, salt []byte) (rx, rtcpRx *srtp.Context, err error) {
	rx, err = srtp.CreateContext(key, salt, profile, srtp.SRTPReplayProtection(128))
	if err == nil {
		rtcpRx, err = srtp.CreateContext(key, salt, profile, srtp.SRTCPReplayProtection(128))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: SRTP: %v", ErrSDP, err)
	}
	return rx, rtcpRx, nil
}

// SDES crypto suites we accept (RFC 4568), in our preference order.
var sdesSuites = []struct {
	name    string
	profile srtp.ProtectionProfile
}{
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
	{"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32},
}

// sdesKey is one side's SDES master key and salt for a suite.
type sdesKey struct {
	tag     string
	suite   string
	profile srtp.ProtectionProfile
	key     []byte // master key ‖ salt (30 bytes for AES_CM_128)
}

// newSDESKey makes a fresh random key for suite index i.
func newSDESKey(tag string, i int) (sdesKey, error) {
	k := sdesKey{tag: tag, suite: sdesSuites[i].name, profile: sdesSuites[i].profile, key: make([]byte, 30)}
	if _, err := rand.Read(k.key); err != nil {
		return sdesKey{}, err
	}
	return k, nil
}

// line is the a=crypto value: "TAG SUITE inline:KEY".
func (k sdesKey) line() string {
	return k.tag + " " + k.suite + " inline:" + base64.StdEncoding.EncodeToString(k.key)
}

// parseCrypto reads "1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|lifetime][|MKI]";
// ok is false for suites or key parameters we do not support.
func parseCrypto(v string) (sdesKey, bool) {
	f := strings.Fields(v)
	if len(f) < 3 || !strings.HasPrefix(f[2], "inline:") {
		return sdesKey{}, false
	}
	for _, s := range sdesSuites {
		if f[1] != s.name {
			continue
		}
		b64, rest, _ := strings.Cut(f[2][len("inline:"):], "|")
		if strings.Contains(rest, ":") { // an MKI: not supported
			return sdesKey{}, false
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(b64)
		}
		if err != nil || len(key) != 30 {
			return sdesKey{}, false
		}
		return sdesKey{tag: f[0], suite: s.name, profile: s.profile, key: key}, true
	}
	return sdesKey{}, false
}

// sdesPair builds the contexts from our key and the peer's.
func sdesPair(ours, theirs sdesKey) (*srtpPair, error) {
	return newSRTPPair(ours.profile, ours.key[:16], ours.key[16:], theirs.key[:16], theirs.key[16:])
}
