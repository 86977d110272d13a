package sfu

import (
	"testing"
	"time"

	"xphone/audiolevel"
	"xphone/sfu/mixer"
)

// reloadRoomConfig is a conference config with the mix encoders at bps
// and complexity 0, DTX as dtx.
func reloadRoomConfig(bps int, dtx bool) ConferenceConfig {
	return ConferenceConfig{
		Mixer:   mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111, NoDTX: !dtx},
		Speaker: audiolevel.DefaultParams(), Codecs: OpusCodecs{Bitrate: bps, Complexity: 0},
		Tick: 20 * time.Millisecond, DecideEvery: 1, Now: time.Now,
	}
}

// bytesPerPacket waits for n more audio packets at p and returns their
// mean payload size.
func bytesPerPacket(t *testing.T, p *participant, n uint64) float64 {
	t.Helper()
	pkts, bytes := p.client.AudioReceived.Load(), p.client.AudioBytes.Load()
	eventually(t, 10*time.Second, "audio packets at the listener", func() bool {
		return p.client.AudioReceived.Load() >= pkts+n
	})
	dp, db := p.client.AudioReceived.Load()-pkts, p.client.AudioBytes.Load()-bytes
	return float64(db) / float64(dp)
}

// mixSent waits for ticks mixer ticks of p's room and returns the frames
// encoded and the audio packets p received meanwhile.
func mixSent(t *testing.T, p *participant, ticks uint64) (encodes, received uint64) {
	t.Helper()
	st := &p.conf.mix.Stats
	t0, e0, r0 := st.Ticks.Load(), st.Encodes.Load(), p.client.AudioReceived.Load()
	eventually(t, 10*time.Second, "mixer ticks", func() bool { return st.Ticks.Load() >= t0+ticks })
	return st.Encodes.Load() - e0, p.client.AudioReceived.Load() - r0
}

// A policy reload retunes the mix of a room that is running: a new bitrate
// shows in the size of the packets a listener receives, and dtx: false
// makes a silent room send every frame (and true quiets it again).
func TestReloadRetunesARunningRoomsMix(t *testing.T) {
	api := testMediaAPI(t)
	specs := []RoomSpec{{Number: "800", Name: "Board", Video: VideoNone}}
	rooms := NewConferences(specs, reloadRoomConfig(16000, true), testLogger())
	talker := joinRoom(t, api, rooms, "1001", false)
	talker.client.Level.Store(15)
	if err := talker.client.StartTone(500, 8000); err != nil {
		t.Fatal(err)
	}
	listener := joinRoom(t, api, rooms, "1002", false)
	listener.client.Silent.Store(true)
	listener.client.Level.Store(127)
	if err := listener.client.StartTone(900, 8000); err != nil {
		t.Fatal(err)
	}
	low := bytesPerPacket(t, listener, 50)
	rooms.Update(specs, reloadRoomConfig(64000, true))
	bytesPerPacket(t, listener, 10) // in flight before the reload
	high := bytesPerPacket(t, listener, 50)
	t.Logf("mix payload: %.0f bytes per packet at 16 kbit/s, %.0f at 64 kbit/s", low, high)
	if high < 1.5*low {
		t.Fatalf("mix payload %.0f bytes at 16 kbit/s and %.0f after a reload to 64: the running room was not retuned", low, high)
	}

	talker.client.Silent.Store(true)
	talker.client.Level.Store(127)
	mixSent(t, listener, 60) // the talker's hold runs out
	if enc, _ := mixSent(t, listener, 100); enc > 10 {
		t.Fatalf("silent room with DTX: %d frames encoded in 100 ticks, want about 5", enc)
	}
	rooms.Update(specs, reloadRoomConfig(64000, false))
	mixSent(t, listener, 5)
	enc, got := mixSent(t, listener, 100)
	if enc < 95 || got < 80 {
		t.Fatalf("silent room after dtx: false: %d frames encoded and %d received in 100 ticks, want every one", enc, got)
	}
	rooms.Update(specs, reloadRoomConfig(64000, true))
	mixSent(t, listener, 5)
	if enc, _ := mixSent(t, listener, 100); enc > 10 {
		t.Fatalf("silent room after dtx: true again: %d frames encoded in 100 ticks", enc)
	}
}
