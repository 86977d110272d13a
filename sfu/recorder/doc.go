// Package recorder writes a conference to disk: the room's mix as Ogg Opus
// (RFC 7845), taken from the mixer's own encoded packets so nothing is
// decoded again, and one video (the current speaker's, or a shared screen)
// as WebM with VP8. The muxers are small and written here: an Ogg page
// writer and the few Matroska elements a WebM player needs.
//
// A Recording takes packets from the media path without blocking or
// allocating (a fixed pool of packet buffers; a full pool drops and counts)
// and writes them on its own goroutine. A write error (a full disk) stops
// the recording and is reported once; it never reaches the media path.
package recorder
