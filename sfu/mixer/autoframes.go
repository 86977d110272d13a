package mixer

// Room sizes from which the shared mix, when its packetisation follows the
// room (Config.SharedFrames 0), carries 40 and 60 ms per packet. Below
// autoTwoFrames every listener gets 20 ms packets and the lowest delay; in
// big rooms the shared mix's packets are most of the server's work (about
// 15 µs each through SRTP and a system call, 50 a second per listener at
// 20 ms), and listeners there rarely take the floor, so 20–40 ms more delay
// for them buys about a third of the CPU (docs/benchmarks.md).
const (
	autoTwoFrames   = 50
	autoThreeFrames = 150
)

// AutoSharedFrames is the frames per shared-mix packet for a room of n.
func AutoSharedFrames(n int) int {
	switch {
	case n >= autoThreeFrames:
		return 3
	case n >= autoTwoFrames:
		return 2
	}
	return 1
}
