// Package testpeers runs real third-party peers for Xphone's tests. It is
// imported only by _test files (siptrunk's interop tests, test/e2e).
//
// Baresip is a headless baresip (TESTING.md "Real SIP peers"): one process
// with several accounts, a sine tone as its microphone (aufile), every
// call's decoded audio recorded by sndfile, driven and observed over
// ctrl_tcp (commands in, CALL_* events out) and its cons module (DTMF).
// The WAV helpers write and read 16-bit PCM files and measure a tone with
// Goertzel, so a test can prove audio crossed a call in each direction.
//
// baresip's ICE ignores 127.0.0.1: run it in a private network namespace
// with 127.0.0.2 on lo (see siptrunk's TestMain or test/e2e's SIP tests).
package testpeers
