package engine

import (
	"encoding/binary"
	"errors"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// gsoMaxSegments is the kernel's UDP_MAX_SEGMENTS (64 before Linux 6.9).
	gsoMaxSegments = 64
	// gsoMaxBytes keeps a coalesced message under the 64 KiB UDP limit.
	gsoMaxBytes = 65000
)

// gsoCmsgSpace is the room for one UDP_SEGMENT control message.
var gsoCmsgSpace = unix.CmsgSpace(2)

// sendAll sends the n queued messages. With gso, each run of consecutive
// datagrams to one address, all of one size but a shorter last one (the
// packets of one video frame to one viewer), goes as one message with a
// UDP_SEGMENT control message that the kernel splits: one trip through the
// stack for the run instead of one per datagram. A coalesced message the
// kernel refuses (no UDP GSO) is resent datagram by datagram, and gsoErr
// says why. It returns the datagrams sent and refused and the first error.
func (m *mmsg) sendAll(n int, gso bool) (sent, refused int, first, gsoErr error) {
	if !gso {
		sent, refused, first, _ = m.sendHdrs(m.hdrs[:n], nil)
		return sent, refused, first, nil
	}
	g := m.coalesce(n)
	return m.sendHdrs(m.ghdrs[:g], m.runs[:g])
}

// sendHdrs sends out with sendmmsg, skipping refused messages; runs (nil
// for plain messages) gives the datagrams and first index of each.
func (m *mmsg) sendHdrs(out []unix.Mmsghdr, runs []gsoRun) (sent, refused int, first, gsoErr error) {
	for off := 0; off < len(out); {
		k, err := m.send(out, off, len(out))
		if err == nil && k == 0 {
			err = unix.EIO // cannot happen; never spin on it
		}
		if err == nil {
			sent += countRuns(runs, off, off+k)
			off += k
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			return sent, refused + countRuns(runs, off, len(out)), err, gsoErr
		}
		if runs != nil && runs[off].n > 1 {
			gsoErr = err
			s, f, e := m.sendEach(runs[off])
			sent, refused = sent+s, refused+f
			err = e
		} else {
			refused++
		}
		if first == nil {
			first = err
		}
		off++
	}
	return sent, refused, first, gsoErr
}

// sendEach sends the datagrams of run r one by one (the kernel refused
// them as one GSO message).
func (m *mmsg) sendEach(r gsoRun) (sent, refused int, first error) {
	for _, i := range m.perm[r.start : r.start+r.n] {
		s, f, e, _ := m.sendHdrs(m.hdrs[i:i+1], nil)
		sent, refused = sent+s, refused+f
		if first == nil {
			first = e
		}
	}
	return sent, refused, first
}

// gsoRun is one coalesced message: n datagrams from position start of
// the grouped order (m.perm).
type gsoRun struct{ start, n int }

func countRuns(runs []gsoRun, from, to int) int {
	if runs == nil {
		return to - from
	}
	c := 0
	for _, r := range runs[from:to] {
		c += r.n
	}
	return c
}

// group orders the n queued messages by destination, each destination's
// in the order queued, in m.perm and their iovecs likewise in m.siovs. A
// forwarder queues a received packet for every viewer before the next
// packet, so one viewer's packets of a video frame lie a fan-out apart;
// grouped, they are one run and go as one GSO message. Order between
// destinations does not matter, order within one does and is kept. A
// destination is its sockaddr's identity (one per bound peer address,
// setDest's key), found in a small open-addressing table: O(n).
func (m *mmsg) group(n int) {
	t := &m.dests
	clear(t.key)
	mask := uint64(len(t.key) - 1)
	heads := 0
	for i := range n {
		k := m.keys[i]
		h := (uint64(k) * 0x9e3779b97f4a7c15 >> 32) & mask
		for t.key[h] != 0 && t.key[h] != k {
			h = (h + 1) & mask
		}
		m.next[i] = -1
		if t.key[h] == 0 {
			t.key[h], t.head[h], t.tail[h] = k, int32(i), int32(i)
			m.heads[heads] = int32(i)
			heads++
			continue
		}
		m.next[t.tail[h]] = int32(i)
		t.tail[h] = int32(i)
	}
	k := 0
	for _, head := range m.heads[:heads] {
		for i := head; i >= 0; i = m.next[i] {
			m.perm[k] = int(i)
			m.siovs[k] = m.iovs[i]
			k++
		}
	}
}

// destTable maps a destination key to its first and last queued message.
type destTable struct {
	key        []uintptr
	head, tail []int32
}

func newDestTable(n int) destTable {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return destTable{key: make([]uintptr, size), head: make([]int32, size), tail: make([]int32, size)}
}

func (m *mmsg) sameDest(i, j int) bool {
	return m.names[i] == m.names[j] && m.hdrs[i].Hdr.Namelen == m.hdrs[j].Hdr.Namelen &&
		m.hdrs[i].Hdr.Control == m.hdrs[j].Hdr.Control
}

// coalesce groups the n queued messages by destination (group) and fills
// m.ghdrs from them; it returns how many it filled. Each refers to its
// first datagram's address and to the consecutive iovecs of its run.
func (m *mmsg) coalesce(n int) int {
	m.group(n)
	g := 0
	for k := 0; k < n; g++ {
		j := m.runEnd(k, n)
		h := &m.ghdrs[g]
		h.Hdr = m.hdrs[m.perm[k]].Hdr
		h.Len = 0
		h.Hdr.Iov = &m.siovs[k]
		h.Hdr.SetIovlen(j - k)
		if j-k > 1 {
			m.segmentCtrl(g, h, uint16(m.siovs[k].Len))
		}
		m.runs[g] = gsoRun{start: k, n: j - k}
		k = j
	}
	return g
}

// segmentCtrl gives coalesced message h (slot g) its UDP_SEGMENT control
// message, followed by the source control message h already had (the
// local address its destination reached, pktinfo_linux.go).
func (m *mmsg) segmentCtrl(g int, h *unix.Mmsghdr, size uint16) {
	space := gsoCmsgSpace + ctrlSpace
	c := m.ctrl[g*space : (g+1)*space]
	n := gsoCmsgSpace
	if src := int(h.Hdr.Controllen); h.Hdr.Control != nil && src > 0 && src <= ctrlSpace {
		n += copy(c[gsoCmsgSpace:], unsafe.Slice(h.Hdr.Control, src))
	}
	clear(c[:gsoCmsgSpace])
	cm := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
	cm.Level, cm.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	cm.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(c[unix.CmsgLen(0):], size)
	h.Hdr.Control = &c[0]
	h.Hdr.SetControllen(n)
}

// runEnd returns the end of the run starting at position k of the grouped
// order: same address, same size, and at most one shorter datagram, which
// ends it.
func (m *mmsg) runEnd(k, n int) int {
	size := m.siovs[k].Len
	total := size
	first := m.perm[k]
	j := k + 1
	for ; j < n && j-k < gsoMaxSegments; j++ {
		l := m.siovs[j].Len
		if l > size || total+l > gsoMaxBytes || !m.sameDest(m.perm[j], first) {
			break
		}
		total += l
		if l < size {
			return j + 1
		}
	}
	return j
}
