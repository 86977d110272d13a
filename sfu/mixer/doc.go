// Package mixer is a conference's audio mixer. Every 20 ms tick it decodes
// only the K loudest talkers (by their RFC 6464 levels), sums them once, and
// encodes one mix-minus stream per talker plus one shared stream that every
// other listener receives. The cost of a tick therefore depends on K, not on
// the number of participants, and nobody ever hears their own voice.
//
// The package owns no goroutine: the room calls Tick on its own ticker, and
// tests call it directly.
package mixer
