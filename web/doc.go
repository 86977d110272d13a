// Package web serves the Xphone softphone: the embedded UI, login and
// sessions, and WebSocket signalling that turns browser tabs into sfu legs.
// It implements sfu.Dialer for extensions: dialling an extension rings all
// of its open tabs and the first to accept answers.
package web
