//go:build unix

package sock

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw sockets: descriptors this package opens in non-blocking mode for an
// owner that uses them the way C programs use a socket — a system call,
// and, when it would block, a wait (Wait) for as long as the owner's
// timeouts allow. LuaSocket's objects are Raw sockets. Their lifecycle
// (open, adopt, close once), their addresses and their options live here;
// the owner only translates its API and its words.

// Address families of a Raw socket.
const (
	FamilyUnspec = unix.AF_UNSPEC
	FamilyIPv4   = unix.AF_INET
	FamilyIPv6   = unix.AF_INET6
)

// How Shutdown closes a stream.
const (
	ShutRead  = unix.SHUT_RD
	ShutWrite = unix.SHUT_WR
	ShutBoth  = unix.SHUT_RDWR
)

// ErrWouldBlock is what a Raw socket's calls return when they would wait.
var ErrWouldBlock = errWouldBlock

// ErrInProgress is what Connect returns when the connection goes on in
// the background: wait until the socket is writable, then ask ConnectError.
var ErrInProgress = errors.New("connection in progress")

// ErrClosed is what a Raw socket's calls return once it is closed.
var ErrClosed = errors.New("closed")

// Raw is a socket descriptor opened by a RawSet. Its calls may come from
// several goroutines; Close may come while another waits, which it wakes.
type Raw struct {
	fd      atomic.Int64 // -1 once closed
	mu      sync.Mutex   // serializes Close
	waiters atomic.Int32 // goroutines in Wait
	family  int
	set     *RawSet
}

// RawSet is the Raw sockets that one owner (a session) opened and has not
// closed: the only descriptors it may adopt by number (Lookup), never one
// the process inherited or the Go runtime uses.
type RawSet struct {
	mu sync.Mutex
	m  map[int]*Raw
}

// Open makes a Raw socket of family (FamilyIPv4 or FamilyIPv6), a stream
// or datagram one, non-blocking and closed on exec; an IPv6 one is IPv6
// only.
func (s *RawSet) Open(family int, stream bool) (*Raw, error) {
	typ := unix.SOCK_DGRAM
	if stream {
		typ = unix.SOCK_STREAM
	}
	fd, err := unix.Socket(family, typ, 0)
	if err != nil {
		return nil, err
	}
	if err := nonblocking(fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if family == unix.AF_INET6 {
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	return s.hold(fd, family), nil
}

// hold makes fd a Raw socket of the set.
func (s *RawSet) hold(fd, family int) *Raw {
	r := &Raw{family: family, set: s}
	r.fd.Store(int64(fd))
	s.mu.Lock()
	if s.m == nil {
		s.m = map[int]*Raw{}
	}
	s.m[fd] = r
	s.mu.Unlock()
	return r
}

// Lookup is the open Raw socket of the set whose descriptor is fd, or nil.
func (s *RawSet) Lookup(fd int) *Raw {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[fd]
}

// FD is the descriptor, -1 once closed (or for a nil Raw, on which every
// call fails with ErrClosed).
func (r *Raw) FD() int {
	if r == nil {
		return -1
	}
	return int(r.fd.Load())
}

// Family is FamilyIPv4 or FamilyIPv6.
func (r *Raw) Family() int { return r.family }

// Close closes the descriptor, once, waking the goroutines that wait on
// it; it says whether it was open.
func (r *Raw) Close() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	fd := int(r.fd.Swap(-1))
	if fd < 0 {
		return false
	}
	r.set.mu.Lock()
	if r.set.m[fd] == r {
		delete(r.set.m, fd)
	}
	r.set.mu.Unlock()
	if r.waiters.Load() > 0 {
		unix.Shutdown(fd, unix.SHUT_RDWR) // poll(2) sees a hang-up
	}
	unix.Close(fd)
	return true
}

// call runs f on the descriptor, again after a signal; ErrClosed once
// closed, ErrWouldBlock for EAGAIN.
func (r *Raw) call(f func(fd int) error) error {
	for {
		fd := r.FD()
		if fd < 0 {
			return ErrClosed
		}
		err := f(fd)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return ErrWouldBlock
		}
		return err
	}
}

// Bind binds the socket to ap.
func (r *Raw) Bind(ap netip.AddrPort) error {
	return r.call(func(fd int) error { return unix.Bind(fd, toSockaddr(ap)) })
}

// Listen makes a stream socket accept connections.
func (r *Raw) Listen(backlog int) error {
	return r.call(func(fd int) error { return unix.Listen(fd, backlog) })
}

// Connect connects the socket to ap: nil when done, ErrInProgress when a
// stream's connection goes on in the background.
func (r *Raw) Connect(ap netip.AddrPort) error {
	fd := r.FD()
	if fd < 0 {
		return ErrClosed
	}
	err := unix.Connect(fd, toSockaddr(ap))
	if err != nil && (errors.Is(err, unix.EINPROGRESS) || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)) {
		return ErrInProgress
	}
	return err
}

// ConnectError is how a connection in the background ended: nil when it
// is made, or the error that ended it (SO_ERROR).
func (r *Raw) ConnectError() error {
	fd := r.FD()
	if fd < 0 {
		return ErrClosed
	}
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}

// Disconnect dissolves a datagram socket's association (connect to
// AF_UNSPEC): it sends and receives anywhere again.
func (r *Raw) Disconnect() error {
	fd := r.FD()
	if fd < 0 {
		return ErrClosed
	}
	var sa unix.RawSockaddrInet6
	sa.Family = unix.AF_UNSPEC
	_, _, errno := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	if errno != 0 && errno != unix.EAFNOSUPPORT {
		return errno
	}
	return nil
}

// Accept takes a connection waiting on a listening socket, as a Raw
// socket of the same set; ErrWouldBlock when none waits (a connection that
// was aborted while it waited counts as none).
func (r *Raw) Accept() (*Raw, error) {
	var nfd int
	err := r.call(func(fd int) error {
		var err error
		nfd, _, err = unix.Accept(fd)
		return err
	})
	if errors.Is(err, unix.ECONNABORTED) {
		return nil, ErrWouldBlock
	}
	if err != nil {
		return nil, err
	}
	if err := nonblocking(nfd); err != nil {
		unix.Close(nfd)
		return nil, err
	}
	return r.set.hold(nfd, r.family), nil
}

// nonblocking makes a new descriptor non-blocking and closed on exec.
func nonblocking(fd int) error {
	unix.CloseOnExec(fd)
	return unix.SetNonblock(fd, true)
}

// Read reads what a stream has queued; 0 with a nil error is its end.
func (r *Raw) Read(b []byte) (n int, err error) {
	err = r.call(func(fd int) error {
		var err error
		n, err = unix.Read(fd, b)
		return err
	})
	return max(n, 0), err
}

// Write writes what the socket takes now.
func (r *Raw) Write(b []byte) (n int, err error) {
	err = r.call(func(fd int) error {
		var err error
		n, err = unix.Write(fd, b)
		return err
	})
	return max(n, 0), err
}

// RecvFrom reads one datagram (cut to b's size) and where it came from.
func (r *Raw) RecvFrom(b []byte) (n int, from netip.AddrPort, err error) {
	err = r.call(func(fd int) error {
		var err error
		var sa unix.Sockaddr
		n, sa, err = unix.Recvfrom(fd, b, 0)
		from = fromSockaddr(sa)
		return err
	})
	return max(n, 0), from, err
}

// SendTo sends one datagram to ap, or to the associated peer when ap is
// not valid.
func (r *Raw) SendTo(b []byte, ap netip.AddrPort) error {
	return r.call(func(fd int) error {
		if !ap.IsValid() {
			_, err := unix.Write(fd, b)
			return err
		}
		return unix.Sendto(fd, b, 0, toSockaddr(ap))
	})
}

// Shutdown closes one direction of a stream, or both (ShutRead,
// ShutWrite, ShutBoth).
func (r *Raw) Shutdown(how int) error {
	return r.call(func(fd int) error { return unix.Shutdown(fd, how) })
}

// Sockname is the socket's local address, or with peer its remote one.
func (r *Raw) Sockname(peer bool) (netip.AddrPort, error) {
	var ap netip.AddrPort
	err := r.call(func(fd int) error {
		get := unix.Getsockname
		if peer {
			get = unix.Getpeername
		}
		sa, err := get(fd)
		ap = fromSockaddr(sa)
		return err
	})
	return ap, err
}

// Wait waits until the socket is ready for events (Readable, Writable or
// both), ctx ends, or deadline passes (zero: it does not), as WaitFD; a
// Close meanwhile ends it with ErrClosed.
func (r *Raw) Wait(ctx context.Context, events int16, deadline time.Time, w *Waker) (int16, error) {
	fd := r.FD()
	if fd < 0 {
		return 0, ErrClosed
	}
	r.waiters.Add(1)
	got, err := WaitFD(ctx, fd, events, deadline, w)
	r.waiters.Add(-1)
	if ctx.Err() == nil && r.FD() < 0 {
		return 0, ErrClosed // the hang-up Close made, or the descriptor gone
	}
	return got, err
}

// rawOptions are the numbers of the on/off and numeric options, by the
// names SetOption and Option take.
var rawOptions = map[string][2]int{
	"keepalive":           {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"reuseaddr":           {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"reuseport":           {unix.SOL_SOCKET, unix.SO_REUSEPORT},
	"dontroute":           {unix.SOL_SOCKET, unix.SO_DONTROUTE},
	"broadcast":           {unix.SOL_SOCKET, unix.SO_BROADCAST},
	"recv-buffer-size":    {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"send-buffer-size":    {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"tcp-nodelay":         {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"ip-multicast-ttl":    {unix.IPPROTO_IP, unix.IP_MULTICAST_TTL},
	"ip-multicast-loop":   {unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP},
	"ipv6-v6only":         {unix.IPPROTO_IPV6, unix.IPV6_V6ONLY},
	"ipv6-unicast-hops":   {unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS},
	"ipv6-multicast-hops": {unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS},
	"ipv6-multicast-loop": {unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP},
}

// SetOption sets an on/off (1 or 0) or numeric option by its name (the
// keys of rawOptions: "keepalive", "tcp-nodelay", "recv-buffer-size", …).
func (r *Raw) SetOption(name string, v int) error {
	o, ok := rawOptions[name]
	if !ok {
		return fmt.Errorf("no option %q", name)
	}
	return r.call(func(fd int) error { return unix.SetsockoptInt(fd, o[0], o[1], v) })
}

// Option reads an on/off or numeric option by its name.
func (r *Raw) Option(name string) (v int, err error) {
	o, ok := rawOptions[name]
	if !ok {
		return 0, fmt.Errorf("no option %q", name)
	}
	err = r.call(func(fd int) error {
		var err error
		v, err = unix.GetsockoptInt(fd, o[0], o[1])
		return err
	})
	return v, err
}

// SetLinger sets SO_LINGER: on, for secs seconds.
func (r *Raw) SetLinger(on bool, secs int) error {
	l := unix.Linger{Linger: int32(secs)}
	if on {
		l.Onoff = 1
	}
	return r.call(func(fd int) error { return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l) })
}

// Linger reads SO_LINGER.
func (r *Raw) Linger() (on bool, secs int, err error) {
	err = r.call(func(fd int) error {
		l, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
		if err == nil {
			on, secs = l.Onoff != 0, int(l.Linger)
		}
		return err
	})
	return on, secs, err
}

// SetMembership4 joins (or leaves) the IPv4 group on the interface whose
// address is iface (zero: the one the system picks).
func (r *Raw) SetMembership4(group, iface [4]byte, join bool) error {
	m := unix.IPMreq{Multiaddr: group, Interface: iface}
	opt := unix.IP_ADD_MEMBERSHIP
	if !join {
		opt = unix.IP_DROP_MEMBERSHIP
	}
	return r.call(func(fd int) error { return unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, opt, &m) })
}

// SetMembership6 joins (or leaves) the IPv6 group on the interface of
// index ifindex (0: the one the system picks).
func (r *Raw) SetMembership6(group [16]byte, ifindex uint32, join bool) error {
	m := unix.IPv6Mreq{Multiaddr: group, Interface: ifindex}
	opt := unix.IPV6_JOIN_GROUP
	if !join {
		opt = unix.IPV6_LEAVE_GROUP
	}
	return r.call(func(fd int) error { return unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, opt, &m) })
}

// SetMulticastIf4 sets the interface, by its IPv4 address, that multicast
// leaves by (zero: the one the system picks).
func (r *Raw) SetMulticastIf4(addr [4]byte) error {
	return r.call(func(fd int) error { return unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, addr) })
}

// MulticastIf4 reads the interface multicast leaves by.
func (r *Raw) MulticastIf4() (addr [4]byte, err error) {
	err = r.call(func(fd int) error {
		var err error
		addr, err = unix.GetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF)
		return err
	})
	return addr, err
}

// fromSockaddr is a system address as an AddrPort (zero for another
// family).
func fromSockaddr(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(fmt.Sprint(sa.ZoneId))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// toSockaddr is ap as a system address.
func toSockaddr(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16(), ZoneId: zoneIndex(a.Zone())}
}

// FamilyOf is the family of ap's address.
func FamilyOf(ap netip.AddrPort) int {
	if ap.Addr().Is4() {
		return FamilyIPv4
	}
	return FamilyIPv6
}
