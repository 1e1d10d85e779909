// Package sock is sockshell's socket core: UDP sockets whose reads honour a
// context and a timeout and report truncated datagrams, plus host name
// resolution and host facts. It knows nothing of Lua; package luaapi binds it.
//
// Errors are returned intact (*net.OpError, *net.DNSError, *SizeError,
// ErrTimeout, net.ErrClosed, the context's error) so that the binding can
// classify them in one place.
package sock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// Forever is the wait that never times out.
const Forever time.Duration = -1

// Largest UDP payloads: 65535 minus the IP and UDP headers.
const (
	MaxDatagram4 = 65535 - 20 - 8 // IPv4
	MaxDatagram6 = 65535 - 8      // IPv6, without jumbograms
)

// ErrTimeout is returned by a read whose wait passed without a datagram.
// It matches os.ErrDeadlineExceeded with errors.Is.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

// Error is "timeout".
func (timeoutError) Error() string { return "timeout" }

// Timeout marks it as a net.Error timeout.
func (timeoutError) Timeout() bool { return true }

// Is matches os.ErrDeadlineExceeded.
func (timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// SizeError reports a datagram too large to send over UDP.
type SizeError struct {
	Size int // bytes asked to send
	Max  int // largest payload for the destination's family
	IPv6 bool
}

// Error names the size and the limit.
func (e *SizeError) Error() string {
	fam := "IPv4"
	if e.IPv6 {
		fam = "IPv6"
	}
	return fmt.Sprintf("datagram too large: %d bytes, the %s limit is %d", e.Size, fam, e.Max)
}

// Message is one datagram: Buf is filled by a read, N bytes of it are valid,
// Addr is the sender and Truncated reports that the datagram was longer than
// Buf (its tail is lost, as with recvfrom(2)).
type Message struct {
	Buf       []byte
	N         int
	Addr      netip.AddrPort
	Truncated bool
}

// UDPConn is a bound UDP socket. It wraps a *net.UDPConn; its reads take a
// context and a wait. Any goroutine may call any method; concurrent reads
// take turns, each datagram going to one of them.
type UDPConn struct {
	conn *net.UDPConn
	// turn is held by the read under way: a read sets the deadline its
	// wait needs, which must not change under another read.
	turn chan struct{}
	// deadlineSet says a read deadline may be in force on conn, so the next
	// read must set its own. Guarded by turn.
	deadlineSet bool
	// kept holds datagrams read for callers that were gone when they came
	// (see Unread): reads return them first, so that none is lost.
	keptMu sync.Mutex
	kept   []*Message
}

// listenConfig binds sockets. Go's net package turns SO_BROADCAST on for
// every UDP socket, so sending to a broadcast address needs no extra call, as
// the chapter's sender expects (TestBroadcastNeedsNoExtraCall keeps it so).
var listenConfig net.ListenConfig

// ListenUDP binds a UDP socket to host and port. An empty host, "*" and
// "0.0.0.0" mean every IPv4 interface; "::" means every interface, IPv6 and
// IPv4 alike; a name is resolved, IPv4 first. Port 0 picks a free port.
func ListenUDP(ctx context.Context, host string, port int, opts ListenOptions) (*UDPConn, error) {
	network, addr, err := bindAddr(ctx, host, port)
	if err != nil {
		return nil, err
	}
	cfg := opts.config()
	pc, err := cfg.ListenPacket(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &UDPConn{conn: pc.(*net.UDPConn), turn: make(chan struct{}, 1)}, nil
}

func bindAddr(ctx context.Context, host string, port int) (network, addr string, err error) {
	p := fmt.Sprint(port)
	switch host {
	case "", "*", "0.0.0.0":
		return "udp4", net.JoinHostPort("0.0.0.0", p), nil
	case "::", "[::]":
		// "udp" with the IPv6 wildcard is a dual-stack socket, as Python's
		// AF_INET6 socket bound to '::' is on Linux.
		return "udp", net.JoinHostPort("::", p), nil
	}
	ap, err := Resolve(ctx, host, port, false)
	if err != nil {
		return "", "", err
	}
	if ap.Addr().Is4() {
		return "udp4", ap.String(), nil
	}
	return "udp6", ap.String(), nil
}

// LocalAddr is the address the socket is bound to.
func (c *UDPConn) LocalAddr() netip.AddrPort {
	return c.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// IPv6 reports whether the socket is an IPv6 (possibly dual-stack) socket.
func (c *UDPConn) IPv6() bool {
	return !c.LocalAddr().Addr().Is4()
}

// Close closes the socket. Closing twice returns net.ErrClosed the second time.
func (c *UDPConn) Close() error { return c.conn.Close() }

// ReadFrom reads one datagram into m. wait is how long to wait for one:
// Forever (or any negative value) waits until one comes, 0 only takes one
// that is already queued. It returns ErrTimeout when the wait passes,
// ctx's error when ctx is done first (a blocked read returns at once), and
// an error matching net.ErrClosed once the socket is closed.
func (c *UDPConn) ReadFrom(ctx context.Context, m *Message, wait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := takeTurn(ctx, c.turn); err != nil {
		return err
	}
	defer func() { <-c.turn }()
	if c.takeKept(m) {
		return nil
	}
	err := c.read(ctx, m, wait, true)
	if cerr := ctx.Err(); err == nil && cerr != nil {
		// The datagram came as the caller left: keep it for the next read.
		c.Unread(m)
		return cerr
	}
	return err
}

// Await is ReadFrom for a caller that has just found nothing queued (a
// ReadFrom with wait 0 said ErrTimeout): it goes straight to waiting.
func (c *UDPConn) Await(ctx context.Context, m *Message, wait time.Duration) error {
	if err := takeTurn(ctx, c.turn); err != nil {
		return err
	}
	defer func() { <-c.turn }()
	if c.takeKept(m) {
		return nil
	}
	err := c.read(ctx, m, wait, false)
	if cerr := ctx.Err(); err == nil && cerr != nil {
		c.Unread(m)
		return cerr
	}
	return err
}

// Unread gives back a datagram that was read but not used (its reader was
// cancelled as it came): the next read returns it. A read already waiting
// for the network does not see it until it returns.
func (c *UDPConn) Unread(m *Message) {
	k := &Message{Buf: append([]byte(nil), m.Buf[:m.N]...), N: m.N, Addr: m.Addr, Truncated: m.Truncated}
	c.keptMu.Lock()
	c.kept = append(c.kept, k)
	c.keptMu.Unlock()
}

func (c *UDPConn) takeKept(m *Message) bool {
	c.keptMu.Lock()
	defer c.keptMu.Unlock()
	if len(c.kept) == 0 {
		return false
	}
	k := c.kept[0]
	c.kept = c.kept[1:]
	m.N = copy(m.Buf, k.Buf[:k.N])
	m.Addr = k.Addr
	m.Truncated = k.Truncated || m.N < k.N
	return true
}

// read reads one datagram from the network; the caller holds the turn.
// With try, a datagram already queued is taken first without arming the
// deadline and the cancel watch: under load that is most reads, and it
// halves their cost. Only a read that must wait pays for being
// interruptible.
func (c *UDPConn) read(ctx context.Context, m *Message, wait time.Duration, try bool) error {
	if try || wait == 0 {
		if err := c.poll(m); wait == 0 || !errors.Is(err, ErrTimeout) {
			return err
		}
	}
	var deadline time.Time
	if wait > 0 {
		deadline = time.Now().Add(wait)
	}
	if wait > 0 || c.deadlineSet {
		if err := c.conn.SetReadDeadline(deadline); err != nil {
			return err
		}
		c.deadlineSet = wait > 0
	}
	stop := watch(ctx, func() { c.conn.SetReadDeadline(time.Unix(1, 0)) })
	n, _, flags, from, err := c.conn.ReadMsgUDPAddrPort(m.Buf, nil)
	if stop() {
		c.deadlineSet = true
		if cerr := ctx.Err(); cerr != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			return cerr
		}
	}
	return c.finish(m, n, flags, from, err)
}

func (c *UDPConn) finish(m *Message, n, flags int, from netip.AddrPort, err error) error {
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return ErrTimeout
		}
		return err
	}
	m.N = n
	m.Addr = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	m.Truncated = flags&syscall.MSG_TRUNC != 0
	return nil
}

// afterFuncer is a context that runs a function when it is done, as
// context.AfterFunc does; ReadFrom uses it directly when a context has it.
type afterFuncer interface {
	AfterFunc(f func()) (stop func() bool)
}

// WriteTo sends b as one datagram to addr.
func (c *UDPConn) WriteTo(b []byte, addr netip.AddrPort) (int, error) {
	if err := checkSize(len(b), addr); err != nil {
		return 0, err
	}
	if !c.IPv6() && addr.Addr().Is6() && !addr.Addr().Is4In6() {
		return 0, &net.OpError{Op: "write", Net: "udp4", Source: c.conn.LocalAddr(),
			Addr: net.UDPAddrFromAddrPort(addr), Err: errFamily}
	}
	if c.IPv6() && addr.Addr().Is4() {
		addr = netip.AddrPortFrom(netip.AddrFrom16(addr.Addr().As16()), addr.Port())
	}
	return c.conn.WriteToUDPAddrPort(b, addr)
}

// errFamily is the cause when an IPv4 socket is asked to reach an IPv6 host.
var errFamily = errors.New("address family mismatch: an IPv4 socket cannot reach an IPv6 address")

// ErrFamily matches (with errors.Is) a send from an IPv4 socket to an IPv6 address.
var ErrFamily = errFamily

func checkSize(n int, addr netip.AddrPort) error {
	if addr.Addr().Is4() || addr.Addr().Is4In6() {
		if n > MaxDatagram4 {
			return &SizeError{Size: n, Max: MaxDatagram4}
		}
	} else if n > MaxDatagram6 {
		return &SizeError{Size: n, Max: MaxDatagram6, IPv6: true}
	}
	return nil
}

// SetReadBuffer sets the kernel's receive buffer size.
func (c *UDPConn) SetReadBuffer(n int) error { return c.conn.SetReadBuffer(n) }

// SetWriteBuffer sets the kernel's send buffer size.
func (c *UDPConn) SetWriteBuffer(n int) error { return c.conn.SetWriteBuffer(n) }

// Option reads a socket option of c: "rcvbuf", "sndbuf", "reuseaddr" or
// "broadcast".
func (c *UDPConn) Option(name string) (int, error) { return getOption(c.conn, name) }

// Join makes the socket receive the multicast group's datagrams, on the
// named interface, or one the system picks when iface is "".
func (c *UDPConn) Join(group netip.Addr, iface string) error {
	return c.membership(group, iface, true)
}

// Leave undoes Join.
func (c *UDPConn) Leave(group netip.Addr, iface string) error {
	return c.membership(group, iface, false)
}

// ErrNotMulticast reports a group address that is not a multicast address.
var ErrNotMulticast = errors.New("not a multicast address")

func (c *UDPConn) membership(group netip.Addr, iface string, join bool) error {
	if !group.IsMulticast() {
		return ErrNotMulticast
	}
	index := 0
	if iface != "" {
		ni, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		index = ni.Index
	}
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setMembership(int(fd), group, index, join) }); err != nil {
		return err
	}
	return serr
}

// SendTo sends b as one datagram to addr from a fresh socket on an ephemeral
// port, then closes that socket, as a one-shot sender does. It returns the
// bytes sent and the address the datagram left from.
func SendTo(ctx context.Context, b []byte, addr netip.AddrPort) (int, netip.AddrPort, error) {
	if err := checkSize(len(b), addr); err != nil {
		return 0, netip.AddrPort{}, err
	}
	host := "0.0.0.0"
	if addr.Addr().Is6() {
		host = "::"
	}
	c, err := ListenUDP(ctx, host, 0, ListenOptions{})
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	defer c.Close()
	n, err := c.WriteTo(b, addr)
	return n, c.LocalAddr(), err
}
