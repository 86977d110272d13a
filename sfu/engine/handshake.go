package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
)

// mediaLinger bounds how long a DTLS server keeps its handshake state
// waiting for the client's first media packet (the proof it got our last
// flight and will not retransmit its own).
const mediaLinger = 30 * time.Second

// cryptoState is a peer's SRTP state after the handshake.
type cryptoState struct {
	profile dtls.SRTPProtectionProfile
	local   *srtp.Context // encrypts what we send; guarded by Peer.sendMu
	remote  *srtp.Context // decrypts what we receive; read loop only
}

// handshake runs the peer's DTLS handshake once ICE has bound an address,
// installs the SRTP keys and then discards the DTLS state. It owns the
// dtls.Conn and ends with the handshake (or the peer).
func (p *Peer) handshake() {
	defer p.e.wg.Done()
	defer close(p.hsDone)
	ctx, cancel := context.WithTimeout(p.ctx, p.e.cfg.HandshakeTimeout)
	defer cancel()
	select {
	case <-p.bound:
	case <-ctx.Done():
		p.fail(fmt.Errorf("%w: no ICE check: %w", ErrHandshake, context.Cause(ctx)))
		return
	}
	conn, err := p.dial(ctx)
	if err != nil {
		p.fail(err)
		return
	}
	defer p.discard(conn)
	keys, err := newCryptoState(conn, p.cfg.Role == RoleClient)
	if err != nil {
		p.fail(err)
		return
	}
	p.keys.Store(keys)
	close(p.ready)
	p.log.Debug("engine: dtls done", "profile", profileName(keys.profile))
	if p.cfg.Role == RoleServer {
		p.lingerForMedia()
	}
}

// dial creates the dtls.Conn for the peer's role and completes the
// handshake, verifying the remote certificate against the SDP fingerprint.
func (p *Peer) dial(ctx context.Context) (*dtls.Conn, error) {
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{p.e.cert},
		SRTPProtectionProfiles: p.cfg.SRTPProfiles,
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		ClientAuth:             dtls.RequireAnyClientCert,
		InsecureSkipVerify:     true, // self-signed: the fingerprint is the check
		LoggerFactory:          p.e.cfg.PionLogs,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyFingerprint(raw, p.remoteFP)
		},
	}
	var remote net.Addr = p.dc.remote()
	var conn *dtls.Conn
	var err error
	if p.cfg.Role == RoleClient {
		conn, err = dtls.Client(p.dc, remote, cfg)
	} else {
		conn, err = dtls.Server(p.dc, remote, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		p.dc.quiet.Store(true)
		_ = conn.Close()
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	return conn, nil
}

// lingerForMedia keeps the DTLS state (to answer a retransmitted client
// flight if our last one was lost) until the client's first media packet.
func (p *Peer) lingerForMedia() {
	t := time.NewTimer(mediaLinger)
	defer t.Stop()
	select {
	case <-p.media:
	case <-p.ctx.Done():
	case <-t.C:
	}
}

// discard closes the DTLS connection without a close_notify reaching the
// browser (which would end its transport) and stops feeding it records.
func (p *Peer) discard(conn *dtls.Conn) {
	p.dc.quiet.Store(true)
	_ = conn.Close()
	p.dc.close()
}

// fail ends the peer with err, unless it was closed meanwhile (a handshake
// cut short by Close is not a failure).
func (p *Peer) fail(err error) {
	if p.ctx.Err() != nil {
		return
	}
	p.log.Info("engine: peer failed", "err", err)
	p.shutdown(err)
}

// newCryptoState exports the SRTP keys (RFC 5764) into pion/srtp contexts.
func newCryptoState(conn *dtls.Conn, isClient bool) (*cryptoState, error) {
	profile, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, fmt.Errorf("%w: no SRTP profile negotiated", ErrHandshake)
	}
	var sp srtp.ProtectionProfile
	switch profile {
	case dtls.SRTP_AEAD_AES_128_GCM:
		sp = srtp.ProtectionProfileAeadAes128Gcm
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		sp = srtp.ProtectionProfileAes128CmHmacSha1_80
	default:
		return nil, fmt.Errorf("%w: unsupported SRTP profile %v", ErrHandshake, profile)
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, fmt.Errorf("%w: no connection state", ErrHandshake)
	}
	cfg := srtp.Config{Profile: sp}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, isClient); err != nil {
		return nil, fmt.Errorf("%w: export keys: %w", ErrHandshake, err)
	}
	k := cfg.Keys
	local, err := srtp.CreateContext(k.LocalMasterKey, k.LocalMasterSalt, sp)
	if err != nil {
		return nil, fmt.Errorf("%w: local context: %w", ErrHandshake, err)
	}
	remote, err := srtp.CreateContext(k.RemoteMasterKey, k.RemoteMasterSalt, sp,
		srtp.SRTPReplayProtection(64), srtp.SRTCPReplayProtection(64))
	if err != nil {
		return nil, fmt.Errorf("%w: remote context: %w", ErrHandshake, err)
	}
	return &cryptoState{profile: profile, local: local, remote: remote}, nil
}

// profileName names the supported SRTP profiles for logs and tests.
func profileName(p dtls.SRTPProtectionProfile) string {
	switch p {
	case dtls.SRTP_AEAD_AES_128_GCM:
		return "SRTP_AEAD_AES_128_GCM"
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		return "SRTP_AES128_CM_HMAC_SHA1_80"
	}
	return fmt.Sprintf("0x%04x", uint16(p))
}
