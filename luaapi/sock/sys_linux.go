package sock

import (
	"errors"
	"net/netip"
	"syscall"
)

// poll takes a datagram that is already queued, without waiting.
func (c *UDPConn) poll(m *Message) error {
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return err
	}
	var (
		n, flags int
		from     syscall.Sockaddr
		rerr     error
	)
	err = rc.Read(func(fd uintptr) bool {
		n, _, flags, from, rerr = syscall.Recvmsg(int(fd), m.Buf, nil, syscall.MSG_DONTWAIT)
		return true
	})
	if err != nil {
		return c.finish(m, 0, 0, netip.AddrPort{}, err)
	}
	if errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK) {
		return ErrTimeout
	}
	if rerr != nil {
		return rerr
	}
	var ap netip.AddrPort
	switch sa := from.(type) {
	case *syscall.SockaddrInet4:
		ap = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		ap = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return c.finish(m, n, flags, ap, nil)
}

// setMembership joins or leaves a multicast group on interface index (0:
// the system's choice).
func setMembership(fd int, group netip.Addr, index int, join bool) error {
	if group.Is4() {
		opt := syscall.IP_ADD_MEMBERSHIP
		if !join {
			opt = syscall.IP_DROP_MEMBERSHIP
		}
		return syscall.SetsockoptIPMreqn(fd, syscall.IPPROTO_IP, opt,
			&syscall.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(index)})
	}
	opt := syscall.IPV6_JOIN_GROUP
	if !join {
		opt = syscall.IPV6_LEAVE_GROUP
	}
	return syscall.SetsockoptIPv6Mreq(fd, syscall.IPPROTO_IPV6, opt,
		&syscall.IPv6Mreq{Multiaddr: group.As16(), Interface: uint32(index)})
}
