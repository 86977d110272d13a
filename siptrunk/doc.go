// Package siptrunk will connect Xphone to a PBX or SIP provider as a trunk:
// a sipgo user agent, SIP dialogs as sfu legs, SDP normalisation and
// DTLS-SRTP media. It implements the sfu.Dialer interface so that the web
// layer never depends on it.
package siptrunk
