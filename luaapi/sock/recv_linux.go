package sock

import (
	"net/netip"
	"syscall"
	"unsafe"
)

// recv reads one datagram from fd with recvfrom(2). MSG_TRUNC makes Linux
// return the datagram's whole length, so a longer one than buf is seen
// without a message header; the sender's address is read into a
// sockaddr on the stack. One system call and no allocation per datagram:
// this is the receive loop's hot path.
func recv(fd uintptr, buf []byte, flag int) (n, flags int, from netip.AddrPort, err error) {
	var (
		rsa  syscall.RawSockaddrAny
		size = uint32(syscall.SizeofSockaddrAny)
		p    unsafe.Pointer
	)
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	r, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(p), uintptr(len(buf)),
		uintptr(flag|syscall.MSG_TRUNC), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&size)))
	if e != 0 {
		if e == syscall.EINTR {
			return 0, 0, netip.AddrPort{}, errSignal
		}
		return 0, 0, netip.AddrPort{}, wouldBlock(e)
	}
	n = int(r)
	if n > len(buf) {
		n, flags = len(buf), msgTrunc
	}
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), ntohs(sa.Port))
	}
	return n, flags, from, nil
}

// ntohs reads a port in network byte order.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// sendNow sends b to addr from fd without waiting, with a socket address
// on the stack.
func sendNow(fd uintptr, b []byte, addr netip.AddrPort) error {
	var (
		p    unsafe.Pointer
		sa   unsafe.Pointer
		size uintptr
		sa4  syscall.RawSockaddrInet4
		sa6  syscall.RawSockaddrInet6
	)
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	port := htons(addr.Port())
	if ip := addr.Addr(); ip.Is4() {
		sa4 = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: port, Addr: ip.As4()}
		sa, size = unsafe.Pointer(&sa4), syscall.SizeofSockaddrInet4
	} else {
		sa6 = syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Port: port, Addr: ip.As16(), Scope_id: zoneIndex(ip.Zone())}
		sa, size = unsafe.Pointer(&sa6), syscall.SizeofSockaddrInet6
	}
	_, _, e := syscall.Syscall6(syscall.SYS_SENDTO, fd, uintptr(p), uintptr(len(b)), syscall.MSG_DONTWAIT, uintptr(sa), size)
	switch e {
	case 0:
		return nil
	case syscall.EINTR:
		return errSignal
	}
	return wouldBlock(e)
}

// htons puts a port in network byte order.
func htons(p uint16) uint16 { return ntohs(p) }
