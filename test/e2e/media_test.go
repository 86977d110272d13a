package e2e

import (
	"fmt"
	"time"
)

// mediaStats sums the inbound RTP statistics of the page's current
// RTCPeerConnection (window.xphone.pc()).
type mediaStats struct {
	HasPC          bool    `json:"hasPC"`
	VideoFrames    float64 `json:"videoFrames"`    // inbound-rtp video framesDecoded
	VideoPackets   float64 `json:"videoPackets"`   // inbound-rtp video packetsReceived
	AudioPackets   float64 `json:"audioPackets"`   // inbound-rtp audio packetsReceived
	AudioEnergy    float64 `json:"audioEnergy"`    // inbound-rtp audio totalAudioEnergy
	ConnState      string  `json:"connState"`      // RTCPeerConnection.connectionState
	OutAudioPacket float64 `json:"outAudioPacket"` // outbound-rtp audio packetsSent
	OutAudioAt     float64 `json:"outAudioAt"`     // that statistic's timestamp (ms)
}

// statsJS reads the numbers of mediaStats from getStats().
const statsJS = `(async () => {
  const pc = window.xphone && window.xphone.pc();
  const out = {hasPC: !!pc, videoFrames: 0, videoPackets: 0, audioPackets: 0, audioEnergy: 0,
               connState: pc ? pc.connectionState : '', outAudioPacket: 0, outAudioAt: 0};
  if (!pc) return out;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.videoFrames += s.framesDecoded || 0;
      out.videoPackets += s.packetsReceived || 0;
    }
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.audioPackets += s.packetsReceived || 0;
      out.audioEnergy += s.totalAudioEnergy || 0;
    }
    if (s.type === 'outbound-rtp' && s.kind === 'audio') {
      out.outAudioPacket += s.packetsSent || 0;
      out.outAudioAt = s.timestamp || 0;
    }
  });
  return out;
})()`

// stats reads the current media statistics of the page.
func (b *browser) stats() mediaStats {
	b.t.Helper()
	var s mediaStats
	b.eval(statsJS, &s)
	return s
}

// requireMediaFlowing asserts that received media keeps increasing: audio
// packets and audio energy always, decoded video frames when video is true.
// It takes a baseline and polls until every counter has grown past it.
func (b *browser) requireMediaFlowing(video bool, timeout time.Duration) {
	b.t.Helper()
	first := b.stats()
	if !first.HasPC {
		b.t.Fatalf("%s: window.xphone.pc() is null during the call\npage: %s", b.name, b.describe())
	}
	deadline := time.Now().Add(timeout)
	last := first
	for {
		time.Sleep(250 * time.Millisecond)
		last = b.stats()
		audioOK := last.AudioPackets > first.AudioPackets && last.AudioEnergy > first.AudioEnergy
		videoOK := !video || last.VideoFrames >= first.VideoFrames+5
		if audioOK && videoOK {
			b.t.Logf("%s: media flowing: audio packets %v→%v, energy %.4f→%.4f, video frames %v→%v",
				b.name, first.AudioPackets, last.AudioPackets, first.AudioEnergy, last.AudioEnergy,
				first.VideoFrames, last.VideoFrames)
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: received media did not increase within %v: first %s, last %s",
				b.name, timeout, first, last)
		}
	}
}

// String makes failure messages readable.
func (s mediaStats) String() string {
	return fmt.Sprintf("{pc:%v state:%s audioPackets:%v audioEnergy:%.4f videoFrames:%v videoPackets:%v sentAudio:%v}",
		s.HasPC, s.ConnState, s.AudioPackets, s.AudioEnergy, s.VideoFrames, s.VideoPackets, s.OutAudioPacket)
}

// rtcpStats is what the browser learnt from the server's RTCP.
type rtcpStats struct {
	RTT        float64 `json:"rtt"`        // remote-inbound-rtp roundTripTime: our receiver reports (LSR/DLSR)
	SRPackets  float64 `json:"srPackets"`  // remote-outbound-rtp packetsSent: our sender reports
	OutBitrate float64 `json:"outBitrate"` // candidate-pair availableOutgoingBitrate: its estimate from our TWCC feedback
}

const rtcpStatsJS = `(async () => {
  const pc = window.xphone && window.xphone.pc();
  const out = {rtt: 0, srPackets: 0, outBitrate: 0};
  if (!pc) return out;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'remote-inbound-rtp') out.rtt = Math.max(out.rtt, s.roundTripTime || 0);
    if (s.type === 'remote-outbound-rtp') out.srPackets += s.packetsSent || 0;
    if (s.type === 'candidate-pair' && s.nominated) out.outBitrate = Math.max(out.outBitrate, s.availableOutgoingBitrate || 0);
  });
  return out;
})()`

// requireRTCPFeedback asserts that the server's RTCP works in the browser:
// its receiver reports give the browser a round-trip time, its sender
// reports show up as remote-outbound-rtp, and its transport-wide feedback
// lets the browser's bandwidth estimate climb above the 300 kbit/s it
// starts from (it cannot without feedback). Firefox's getStats has no
// candidate-pair availableOutgoingBitrate, so there only the reports count.
func (b *browser) requireRTCPFeedback(timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var s rtcpStats
	minBitrate := 600_000.0
	if b.engine == firefox {
		minBitrate = 0
	}
	for {
		b.eval(rtcpStatsJS, &s)
		if s.RTT > 0 && s.SRPackets > 0 && s.OutBitrate >= minBitrate {
			b.t.Logf("%s: RTCP from the server works: rtt %.4f s, %v packets in sender reports, estimate %.0f kbit/s",
				b.name, s.RTT, s.SRPackets, s.OutBitrate/1000)
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: RTCP feedback missing after %v: %+v", b.name, timeout, s)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
