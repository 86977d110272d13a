package sfutest

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/pion/rtp"
)

const dtmfKeys = "0123456789*#ABCD"

// SendDTMF presses key as a browser's RTCDTMFSender does: RFC 4733 events
// on the audio SSRC, three updates then three end packets sharing one
// timestamp, 100 ms long.
func (c *Client) SendDTMF(key rune) error {
	event := strings.IndexRune(dtmfKeys, key)
	if event < 0 {
		return fmt.Errorf("sfutest: %q is not a DTMF key", key)
	}
	ts := uint32(time.Now().UnixNano() / int64(time.Second/48000))
	for i := 0; i < 6; i++ {
		end := i >= 3
		payload := make([]byte, 4)
		payload[0] = byte(event)
		payload[1] = 10 // volume −10 dBm0
		if end {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], uint16(min(i+1, 3)*960))
		p := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: i == 0, Timestamp: ts}, Payload: payload}
		if err := c.audio.write(p, true); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
