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
			r := runs[off]
			s, f, e, _ := m.sendHdrs(m.hdrs[r.start:r.start+r.n], nil)
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

// gsoRun is one coalesced message: n datagrams from queued message start.
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

// coalesce fills m.ghdrs from the n queued messages and returns how many
// it filled. Each refers to its first datagram's address and to the
// consecutive iovecs of its run.
func (m *mmsg) coalesce(n int) int {
	g := 0
	for i := 0; i < n; g++ {
		j := m.runEnd(i, n)
		h := &m.ghdrs[g]
		h.Hdr = m.hdrs[i].Hdr
		h.Len = 0
		h.Hdr.Control = nil
		h.Hdr.SetControllen(0)
		if j-i > 1 {
			h.Hdr.SetIovlen(j - i)
			c := m.ctrl[g*gsoCmsgSpace : (g+1)*gsoCmsgSpace]
			cm := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
			cm.Level, cm.Type = unix.SOL_UDP, unix.UDP_SEGMENT
			cm.SetLen(unix.CmsgLen(2))
			binary.NativeEndian.PutUint16(c[unix.CmsgLen(0):], uint16(m.iovs[i].Len))
			h.Hdr.Control = &c[0]
			h.Hdr.SetControllen(gsoCmsgSpace)
		}
		m.runs[g] = gsoRun{start: i, n: j - i}
		i = j
	}
	return g
}

// runEnd returns the end of the run starting at message i: same address,
// same size, and at most one shorter datagram, which ends it.
func (m *mmsg) runEnd(i, n int) int {
	size := m.iovs[i].Len
	total := size
	j := i + 1
	for ; j < n && j-i < gsoMaxSegments; j++ {
		l := m.iovs[j].Len
		if l > size || total+l > gsoMaxBytes || m.names[j] != m.names[i] ||
			m.hdrs[j].Hdr.Namelen != m.hdrs[i].Hdr.Namelen {
			break
		}
		total += l
		if l < size {
			return j + 1
		}
	}
	return j
}
