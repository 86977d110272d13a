// Package sfu is Xphone's media core. Every call is a Room of Legs: a Leg is
// one party's media connection (a browser's DTLS-SRTP connection on the packet engine, or a SIP
// dialog); a Room forwards media between its legs. Call control (Calls)
// places calls through Dialers that other packages implement, so the web
// layer and the SIP trunk plug in without depending on each other.
package sfu
