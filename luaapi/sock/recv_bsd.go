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
