package sock

import (
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readAhead holds datagrams one recvmmsg(2) took from the kernel that no
// read has had yet: under a flood, one system call brings in up to
// aheadSlots of them. Each slot takes a whole datagram (65 535 bytes), so
// that a read gets exactly what recvfrom(2) would have given it,
// whatever its buffer's size; the slots are mapped memory, of which only
// the pages a datagram was written to take any.
type readAhead struct {
	arena   []byte
	hdrs    []mmsghdr
	iovs    []unix.Iovec
	names   []syscall.RawSockaddrAny
	n, next int  // slots filled by the last fill; the next to give
	busy    bool // a fill is under way (the kernel writes the arena)
}

// mmsghdr is struct mmsghdr: a message header and the length received.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

const (
	aheadSlots = 32
	slotSize   = 1 << 16
)

// newReadAhead maps the slots; nil when the system refuses.
func newReadAhead() *readAhead {
	arena, err := unix.Mmap(-1, 0, aheadSlots*slotSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	a := &readAhead{
		arena: arena,
		hdrs:  make([]mmsghdr, aheadSlots),
		iovs:  make([]unix.Iovec, aheadSlots),
		names: make([]syscall.RawSockaddrAny, aheadSlots),
	}
	for i := range a.hdrs {
		a.iovs[i].Base = &arena[i*slotSize]
		a.iovs[i].SetLen(slotSize)
		a.hdrs[i].hdr.Iov = &a.iovs[i]
		a.hdrs[i].hdr.SetIovlen(1)
		a.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&a.names[i]))
		a.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrAny
	}
	return a
}

// fill reads what the kernel has queued for fd into the slots, waiting
// (up to the socket's receive timeout) for the first when wait is set;
// it returns how many it read.
func (a *readAhead) fill(fd int, wait bool) (int, error) {
	// The kernel changed only the headers of the datagrams it wrote.
	for i := range a.n {
		a.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrAny
		a.hdrs[i].hdr.Flags = 0
	}
	flags := syscall.MSG_TRUNC | unix.MSG_DONTWAIT
	if wait {
		flags = syscall.MSG_TRUNC | unix.MSG_WAITFORONE
	}
	r, _, e := syscall.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&a.hdrs[0])),
		uintptr(len(a.hdrs)), uintptr(flags), 0, 0)
	switch e {
	case 0:
		return int(r), nil
	case syscall.EINTR:
		return 0, errSignal
	}
	return 0, wouldBlock(e)
}

// take gives m the next datagram read ahead; the caller checked there is
// one.
func (a *readAhead) take(m *Message) {
	i := a.next
	a.next++
	m.buffer()
	size := int(a.hdrs[i].len) // the whole datagram's (MSG_TRUNC)
	m.N = copy(m.Buf, a.arena[i*slotSize:i*slotSize+min(size, slotSize)])
	m.Truncated = size > m.N
	m.Waited = false
	var from netip.AddrPort
	switch a.names[i].Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&a.names[i]))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&a.names[i]))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	m.Addr = from
}

// free unmaps the slots.
func (a *readAhead) free() { unix.Munmap(a.arena) }

// firstLen is the length of the first datagram of the last fill.
func (a *readAhead) firstLen() int { return int(a.hdrs[0].len) }

// pause sleeps d on the calling thread, in the kernel: no timer of Go's
// runtime, which would wake its netpoller.
func pause(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}
