package mixer

import "testing"

func TestJitterBufferReordersAndConceals(t *testing.T) {
	var j jitterBuffer
	buf := make([]byte, 8)
	if _, r := j.pop(buf); r != popEmpty {
		t.Fatal("empty buffer played")
	}
	j.push(11, []byte{11})
	j.push(10, []byte{10}) // reordered
	j.push(13, []byte{13}) // 12 lost
	want := []struct {
		res  popResult
		data byte
	}{{popGot, 10}, {popGot, 11}, {popLost, 0}, {popGot, 13}, {popConceal, 0}}
	for i, w := range want {
		n, r := j.pop(buf)
		if r != w.res || (r == popGot && (n != 1 || buf[0] != w.data)) {
			t.Fatalf("pop %d = %v %v, want %v %v", i, r, buf[:n], w.res, w.data)
		}
	}
	if j.push(12, []byte{12}) {
		t.Fatal("a packet later than playout was accepted")
	}
}

func TestJitterBufferRestartsAfterJumpAndUnderrun(t *testing.T) {
	var j jitterBuffer
	buf := make([]byte, 8)
	j.push(1, []byte{1})
	j.push(2, []byte{2})
	j.pop(buf)
	j.push(500, []byte{50}) // sender jumped far ahead
	j.push(501, []byte{51})
	if n, r := j.pop(buf); r != popGot || buf[:n][0] != 50 {
		t.Fatalf("after a jump: %v %v", r, buf[:n])
	}
	j.pop(buf)
	for i := 0; i < maxUnderruns; i++ {
		j.pop(buf)
	}
	if j.playing {
		t.Fatal("still playing after repeated underruns")
	}
}

func FuzzJitterBuffer(f *testing.F) {
	f.Add([]byte{1, 2, 3, 200, 4})
	f.Fuzz(func(t *testing.T, seqs []byte) {
		var j jitterBuffer
		buf := make([]byte, maxPayload)
		for i, s := range seqs {
			j.push(uint16(s)*uint16(i+1), []byte{s})
			if i%2 == 0 {
				j.pop(buf)
			}
			if j.count < 0 || j.count > ringSize {
				t.Fatalf("count %d out of range", j.count)
			}
		}
	})
}

func TestJitterBufferTrimKeepsNewest(t *testing.T) {
	var j jitterBuffer
	buf := make([]byte, 8)
	for seq := uint16(1); seq <= 7; seq++ {
		j.push(seq, []byte{byte(seq)})
	}
	j.trim(prebuffer)
	if n, r := j.pop(buf); r != popGot || buf[:n][0] != 6 {
		t.Fatalf("after trim: %v %v, want packet 6", r, buf[:n])
	}
}

// TestJitterBufferBoundsDelay: a burst of 7 queued packets (a stall, then
// everything at once) drains one skipped packet per pop, never a run of
// them, until prebuffer+1 are left.
func TestJitterBufferBoundsDelay(t *testing.T) {
	var j jitterBuffer
	buf := make([]byte, 8)
	for seq := uint16(1); seq <= 7; seq++ {
		j.push(seq, []byte{byte(seq)})
	}
	var played []byte
	for range 5 {
		if n, r := j.pop(buf); r == popGot && n == 1 {
			played = append(played, buf[0])
		}
	}
	if string(played) != string([]byte{2, 4, 5, 6, 7}) {
		t.Fatalf("played %v, want [2 4 5 6 7]: one packet skipped per pop while too deep", played)
	}
}

// TestJitterBufferConcealsALatePacket: an empty buffer while playing asks
// for concealment and keeps waiting, so the late packet still plays.
func TestJitterBufferConcealsALatePacket(t *testing.T) {
	var j jitterBuffer
	buf := make([]byte, 8)
	j.push(1, []byte{1})
	j.push(2, []byte{2})
	j.pop(buf)
	j.pop(buf)
	if _, r := j.pop(buf); r != popConceal {
		t.Fatalf("underrun gave %v, want popConceal", r)
	}
	j.push(3, []byte{3})
	if n, r := j.pop(buf); r != popGot || buf[:n][0] != 3 {
		t.Fatalf("late packet: %v %v, want packet 3", r, buf[:n])
	}
}
