//go:build unix && !linux

package sock

import (
	"errors"
	"net/netip"
	"syscall"
)

// recv reads one datagram from fd with recvmsg(2), which reports a
// datagram longer than buf in its flags.
func recv(fd uintptr, buf []byte, flag int) (n, flags int, from netip.AddrPort, err error) {
	n, _, flags, sa, err := syscall.Recvmsg(int(fd), buf, nil, flag)
	if err != nil {
		if errors.Is(err, syscall.EINTR) {
			return 0, 0, netip.AddrPort{}, errSignal
		}
		return 0, 0, netip.AddrPort{}, wouldBlock(err)
	}
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return n, flags, from, nil
}

// sendNow sends b to addr from fd without waiting.
func sendNow(fd uintptr, b []byte, addr netip.AddrPort) error {
	var sa syscall.Sockaddr
	if ip := addr.Addr(); ip.Is4() {
		sa = &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: ip.As4()}
	} else {
		sa = &syscall.SockaddrInet6{Port: int(addr.Port()), Addr: ip.As16(), ZoneId: zoneIndex(ip.Zone())}
	}
	err := syscall.Sendto(int(fd), b, syscall.MSG_DONTWAIT, sa)
	if errors.Is(err, syscall.EINTR) {
		return errSignal
	}
	if err != nil {
		return wouldBlock(err)
	}
	return nil
}
