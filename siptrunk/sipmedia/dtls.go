package sipmedia

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/srtp/v3"
)

// Errors of DTLS-SRTP without ICE.
var (
	// errDTLS: the handshake failed or gave no usable SRTP keys.
	errDTLS = errors.New("sipmedia: DTLS-SRTP failed")
	// errFingerprint: the peer's DTLS certificate does not match its SDP.
	errFingerprint = fmt.Errorf("%w: certificate does not match the SDP fingerprint", errDTLS)
)

// dtlsIdentity is our certificate and its SDP fingerprint.
type dtlsIdentity struct {
	cert        tls.Certificate
	fingerprint string // "sha-256 AB:CD:…"
}

// newDTLSIdentity makes a fresh self-signed ECDSA certificate.
func newDTLSIdentity() (dtlsIdentity, error) {
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		return dtlsIdentity{}, err
	}
	x, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return dtlsIdentity{}, err
	}
	fp, err := fingerprint.Fingerprint(x, crypto.SHA256)
	if err != nil {
		return dtlsIdentity{}, err
	}
	return dtlsIdentity{cert: cert, fingerprint: "sha-256 " + strings.ToUpper(fp)}, nil
}

// verifyFingerprint checks the peer's certificate against "algo HEX".
func verifyFingerprint(want string) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		algo, hex, ok := strings.Cut(want, " ")
		if !ok || len(raw) == 0 {
			return errFingerprint
		}
		h, err := fingerprint.HashFromString(strings.ToLower(algo))
		if err != nil {
			return fmt.Errorf("%w: %v", errFingerprint, err)
		}
		x, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return fmt.Errorf("%w: %v", errFingerprint, err)
		}
		got, err := fingerprint.Fingerprint(x, h)
		if err != nil || !strings.EqualFold(got, strings.TrimSpace(hex)) {
			return errFingerprint
		}
		return nil
	}
}

// dtlsClient reports whether we start the handshake, from the peer's
// a=setup: only a passive peer waits for us. An offer's actpass is
// answered passive (see sockMedia.Answer); an answer's active, or no
// setup at all (RFC 4145's default), leaves us the server.
func dtlsClient(peerSetup string) bool { return peerSetup == "passive" }

// handshakeDTLS runs the handshake over pc (the demuxed DTLS packets of
// the media socket) and returns SRTP contexts from its keying material.
func handshakeDTLS(ctx context.Context, pc net.PacketConn, raddr net.Addr, id dtlsIdentity, peerFP string, client bool) (*srtpPair, *dtls.Conn, error) {
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{id.cert},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.SRTP_AEAD_AES_128_GCM},
		ExtendedMasterSecret:   dtls.RequestExtendedMasterSecret,
		InsecureSkipVerify:     true, // self-signed: the SDP fingerprint is the check
		ClientAuth:             dtls.RequireAnyClientCert,
		VerifyPeerCertificate:  verifyFingerprint(peerFP),
		FlightInterval:         500 * time.Millisecond,
	}
	var conn *dtls.Conn
	var err error
	if client {
		conn, err = dtls.Client(pc, raddr, cfg)
	} else {
		conn, err = dtls.Server(pc, raddr, cfg)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("%w: handshake: %w", errDTLS, err)
	}
	pair, err := srtpFromDTLS(conn, client)
	if err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return pair, conn, nil
}

// srtpFromDTLS derives both SRTP contexts (RFC 5764 §4.2).
func srtpFromDTLS(conn *dtls.Conn, client bool) (*srtpPair, error) {
	p, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, fmt.Errorf("%w: no SRTP profile negotiated", errDTLS)
	}
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	if p == dtls.SRTP_AEAD_AES_128_GCM {
		profile = srtp.ProtectionProfileAeadAes128Gcm
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, fmt.Errorf("%w: connection state unavailable", errDTLS)
	}
	cfg := srtp.Config{Profile: profile}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return nil, fmt.Errorf("%w: %w", errDTLS, err)
	}
	k := cfg.Keys
	return newSRTPPair(profile, k.LocalMasterKey, k.LocalMasterSalt, k.RemoteMasterKey, k.RemoteMasterSalt)
}
