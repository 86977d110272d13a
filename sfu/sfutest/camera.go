package sfutest

import (
	"time"

	"github.com/pion/rtp"
)

// cameraMTU is the largest VP8 payload of one packet, as browsers
// packetise (≈ 1 200 bytes on the wire with headers and SRTP).
const cameraMTU = 1100

// cameraKeyScale is how much larger a key frame is than a delta frame.
const cameraKeyScale = 4

// camera sends the plain video track at camera rates (Options.VideoKbps):
// frames of several packets, their packets back to back as a browser's
// encoder hands them over, a key frame every KeyframeEvery and after a
// PLI/FIR. Only its goroutine touches it.
type camera struct {
	c       *Client
	seq     uint16
	frame   uint64
	payload []byte
	pkt     rtp.Packet
}

// startCameraIfAny runs the camera until the client closes, when the
// client sends plain video at camera rates.
func (c *Client) startCameraIfAny() {
	if c.video == nil || c.opts.VideoKbps <= 0 {
		return
	}
	cam := &camera{c: c, payload: make([]byte, cameraMTU)}
	fps := c.opts.VideoFPS
	if fps <= 0 {
		fps = 30
	}
	c.goOwned(func() {
		t := time.NewTicker(time.Second / time.Duration(fps))
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
			cam.sendFrame(fps)
		}
	})
}

// frameBytes is the size of the next frame and whether it is a key frame.
func (cam *camera) frameBytes(fps int) (int, bool) {
	c := cam.c
	size := max(c.opts.VideoKbps*1000/8/fps, 16)
	every := c.opts.KeyframeEvery
	if every <= 0 {
		every = 3 * time.Second
	}
	keyEvery := max(uint64(every*time.Duration(fps)/time.Second), 1)
	key := cam.frame%keyEvery == 0 || c.sentKey.Load() <= c.KeyframeRequests.Load()
	if key {
		c.sentKey.Store(c.KeyframeRequests.Load() + 1)
		size *= cameraKeyScale
	}
	return size, key
}

// sendFrame packetises one frame into equal packets (the last shorter) and
// writes them back to back, the marker bit on the last.
func (cam *camera) sendFrame(fps int) {
	size, key := cam.frameBytes(fps)
	ts := uint32(cam.frame * 90000 / uint64(fps))
	cam.frame++
	n := (size + cameraMTU - 1) / cameraMTU
	per := (size + n - 1) / n
	marker := byte(cam.c.VideoMarker.Load())
	for i := 0; i < n; i++ {
		l := min(per, size-i*per)
		p := cam.payload[:l]
		p[0], p[1], p[2] = 0x00, 0x01, marker // VP8 descriptor: continuation
		if i == 0 {
			p[0], p[1] = 0x10, 0x01 // start of partition 0; P bit set: delta
			if key {
				p[1] = 0x00
			}
		}
		cam.seq++
		cam.pkt = rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: cam.seq, Timestamp: ts,
			Marker: i == n-1}, Payload: p}
		if cam.c.DropVideo.Load() > 0 {
			cam.c.DropVideo.Add(-1)
			continue
		}
		_ = cam.c.video.WriteRTP(&cam.pkt)
	}
}
