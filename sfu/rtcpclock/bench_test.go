package rtcpclock

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// BenchmarkPerPacket is what the report interceptors (SIP legs on pion)
// add to every packet a leg receives (receiver statistics) and sends
// (sender report counters). It must not allocate.
func BenchmarkPerPacket(b *testing.B) {
	c := NewWithSource(100*time.Millisecond, func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} })
	defer c.Close()
	info := &interceptor.StreamInfo{
		SSRC: 42, ClockRate: 90000,
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "nack"}},
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 5}},
	}
	pkt := rtpBytes(b, 1, 0, 1)
	if ext, ok := rtpExtension(pkt, 5); !ok || &ext[0] != &pkt[17] {
		b.Fatal("transport-wide sequence number not at bytes 17-18")
	}
	var reader interceptor.RTPReader = interceptor.RTPReaderFunc(func(buf []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(buf, pkt), a, nil
	})
	var writer interceptor.RTPWriter = interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil })
	for _, f := range []interceptor.Factory{NewReceiverReports(c, time.Second, nil), NewSenderReports(c, time.Second, nil)} {
		i, err := f.NewInterceptor("")
		if err != nil {
			b.Fatal(err)
		}
		defer i.Close()
		reader = i.BindRemoteStream(info, reader)
		writer = i.BindLocalStream(info, writer)
	}
	buf := make([]byte, 1500)
	hdr := &rtp.Header{Timestamp: 1}
	payload := make([]byte, 100)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%100 == 99 { // the feedback and reports every 100 ms, not timed
			b.StopTimer()
			c.fire(time.Now())
			b.StartTimer()
		}
		binary.BigEndian.PutUint16(pkt[2:4], uint16(i))
		binary.BigEndian.PutUint16(pkt[17:19], uint16(i)) // transport-wide sequence number
		if _, _, err := reader.Read(buf, nil); err != nil {
			b.Fatal(err)
		}
		hdr.Timestamp += 3000
		if _, err := writer.Write(hdr, payload, nil); err != nil {
			b.Fatal(err)
		}
	}
}
