// Package audiolevel reads and computes audio levels on the RFC 6464 scale
// (0 = loudest, 127 = silence, in −dBov) and, in later work, decides who is
// speaking. It is pure: no I/O, no goroutines, time passed in by the caller.
package audiolevel
