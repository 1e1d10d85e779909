//go:build unix

package sock

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// msgTrunc is the flag recvmsg sets on a datagram longer than the buffer.
const msgTrunc = syscall.MSG_TRUNC

// errWouldBlock is what the non-blocking calls return when they would wait.
var errWouldBlock = errors.New("would block")

// recvNow reads a datagram queued on the socket fd without waiting.
func recvNow(fd uintptr, buf []byte) (n, flags int, from netip.AddrPort, err error) {
	return recv(fd, buf, syscall.MSG_DONTWAIT)
}

// recvWait reads a datagram from the socket fd, which must be in blocking
// mode, waiting at most its receive timeout: errWouldBlock when that
// passed, errSignal when a signal cut the wait short.
func recvWait(fd uintptr, buf []byte) (n, flags int, from netip.AddrPort, err error) {
	return recv(fd, buf, 0)
}

// errSignal is what a wait cut short by a signal returns.
var errSignal = errors.New("interrupted by a signal")

// setRecvTimeout sets how long a blocking read of fd waits; d > 0.
func setRecvTimeout(fd uintptr, d time.Duration) error {
	tv := syscall.NsecToTimeval(max(d.Nanoseconds(), 1000))
	return syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
}

// readNow reads what is queued on the stream fd without waiting; n == 0
// with a nil error is the end of the stream.
func readNow(fd uintptr, buf []byte) (int, error) {
	n, err := syscall.Read(int(fd), buf)
	if err != nil {
		return 0, wouldBlock(err)
	}
	return n, nil
}

// writeNow writes what the stream fd takes without waiting.
func writeNow(fd uintptr, b []byte) (int, error) {
	n, err := syscall.Write(int(fd), b)
	if err != nil {
		return 0, wouldBlock(err)
	}
	return n, nil
}

// wouldBlock is err, or errWouldBlock for EAGAIN.
func wouldBlock(err error) error {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
		return errWouldBlock
	}
	return err
}

// setReuseAddr sets SO_REUSEADDR on fd.
func setReuseAddr(fd uintptr) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
}

// getsockoptInt reads an integer socket option of fd.
func getsockoptInt(fd uintptr, level, opt int) (int, error) {
	return syscall.GetsockoptInt(int(fd), level, opt)
}

func optionNumbers(name string) (level, opt int, ok bool) {
	switch name {
	case "nodelay":
		return syscall.IPPROTO_TCP, syscall.TCP_NODELAY, true
	case "keepalive":
		return syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, true
	case "rcvbuf":
		return syscall.SOL_SOCKET, syscall.SO_RCVBUF, true
	case "sndbuf":
		return syscall.SOL_SOCKET, syscall.SO_SNDBUF, true
	case "reuseaddr":
		return syscall.SOL_SOCKET, syscall.SO_REUSEADDR, true
	case "broadcast":
		return syscall.SOL_SOCKET, syscall.SO_BROADCAST, true
	}
	return 0, 0, false
}

// zoneIndex is the interface index of an IPv6 zone: a name or a number.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	n, _ := strconv.Atoi(zone)
	return uint32(n)
}

// setMembership joins (or leaves) the multicast group on fd, on ifi or
// the interface the system picks when ifi is nil.
func setMembership(fd int, group netip.Addr, ifi *net.Interface, join bool) error {
	if group.Is4() {
		mreq := &unix.IPMreq{Multiaddr: group.As4()}
		if ifi != nil {
			addr, err := interfaceIPv4(ifi)
			if err != nil {
				return err
			}
			mreq.Interface = addr.As4()
		}
		opt := unix.IP_ADD_MEMBERSHIP
		if !join {
			opt = unix.IP_DROP_MEMBERSHIP
		}
		return unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, opt, mreq)
	}
	mreq := &unix.IPv6Mreq{Multiaddr: group.As16()}
	if ifi != nil {
		mreq.Interface = uint32(ifi.Index)
	}
	opt := unix.IPV6_JOIN_GROUP
	if !join {
		opt = unix.IPV6_LEAVE_GROUP
	}
	return unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, opt, mreq)
}

// interfaceIPv4 is an IPv4 address of ifi, which names it for an IPv4
// multicast membership.
func interfaceIPv4(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap(), nil
			}
		}
	}
	return netip.Addr{}, syscall.EADDRNOTAVAIL
}
