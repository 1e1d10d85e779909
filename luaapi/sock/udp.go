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
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/sockshell/sockshell/luaapi/internal/turn"
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
//
// Buf may be nil with Size set: a read then takes a buffer of Size bytes
// from a pool only once a datagram has come, so that a read that waits
// holds none, and Release gives it back.
type Message struct {
	Buf       []byte
	Size      int
	N         int
	Addr      netip.AddrPort
	Truncated bool
	pooled    *[]byte
}

// buffers holds the buffers of Messages read with Size.
var buffers = sync.Pool{New: func() any { b := make([]byte, 65535); return &b }}

// buffer makes sure m has a buffer.
func (m *Message) buffer() {
	if m.Buf == nil {
		m.pooled = buffers.Get().(*[]byte)
		m.Buf = (*m.pooled)[:min(m.Size, len(*m.pooled))]
	}
}

// Release gives back a buffer the read took from the pool; m.Buf is nil
// after it.
func (m *Message) Release() {
	if m.pooled != nil {
		buffers.Put(m.pooled)
		m.pooled, m.Buf = nil, nil
	}
}

// UDPConn is a bound UDP socket. It wraps a *net.UDPConn; its reads take a
// context and a wait. Any goroutine may call any method. Reads that must
// wait take turns in the order they were made, each with its own deadline
// and context; each datagram goes to exactly one reader, and a datagram
// read for a caller that was gone when it came is kept for the next one.
type UDPConn struct {
	conn *net.UDPConn
	// turn orders the reads that wait: the read deadline is the holder's.
	turn turn.Turn
	// mu guards kept and the state of the read that is blocked, so that
	// Unread and a cancellation can wake it.
	mu      sync.Mutex
	kept    []*Message // oldest first; reads return these before the network's
	blocked bool       // a read is blocked in the kernel with its deadline set
	kicked  bool       // Unread woke the blocked read: it should look again

	// blocking says the socket is in blocking mode, for readHot, and
	// rcvTimeout is its receive timeout then. Guarded by turn.
	blocking   bool
	rcvTimeout time.Duration
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
	return &UDPConn{conn: pc.(*net.UDPConn)}, nil
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

// Poll takes a datagram that is already there (kept by Unread, or queued
// in the kernel) without waiting: ErrTimeout when there is none. It does
// not wait for the reads that wait, and no deadline affects it.
func (c *UDPConn) Poll(m *Message) error {
	if c.takeKept(m) {
		return nil
	}
	return c.poll(m)
}

// pollRaw reads a datagram queued on fd, giving m a buffer only when one
// is there.
func (c *UDPConn) pollRaw(fd uintptr, m *Message) (n, flags int, from netip.AddrPort, err error) {
	hadBuf := m.Buf != nil
	m.buffer()
	n, flags, from, err = recvNow(fd, m.Buf)
	if err == errWouldBlock && !hadBuf {
		m.Release()
	}
	return
}

// poll reads a datagram queued in the kernel, without waiting.
func (c *UDPConn) poll(m *Message) error {
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return err
	}
	var (
		n, flags int
		from     netip.AddrPort
		rerr     error
	)
	if err := rc.Control(func(fd uintptr) { n, flags, from, rerr = c.pollRaw(fd, m) }); err != nil {
		return c.finish(m, 0, 0, netip.AddrPort{}, err)
	}
	if rerr == errWouldBlock {
		return ErrTimeout
	}
	return c.finish(m, n, flags, from, rerr)
}

// ReadFrom reads one datagram into m. wait is how long to wait for one:
// Forever (or any negative value) waits until one comes, 0 only takes one
// that is already there (as Poll). It returns ErrTimeout when the wait
// passes, ctx's error when ctx ends first (a blocked read returns at
// once), and an error matching net.ErrClosed once the socket is closed. A
// datagram that arrives as ctx ends is kept for the next read.
func (c *UDPConn) ReadFrom(ctx context.Context, m *Message, wait time.Duration) error {
	return c.readFrom(ctx, m, wait, false)
}

// Await is ReadFrom for a caller that has just found nothing there (a Poll
// said ErrTimeout): it goes straight to waiting.
func (c *UDPConn) Await(ctx context.Context, m *Message, wait time.Duration) error {
	return c.readFrom(ctx, m, wait, true)
}

func (c *UDPConn) readFrom(ctx context.Context, m *Message, wait time.Duration, polled bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if wait == 0 {
		if polled {
			return ErrTimeout
		}
		return c.Poll(m)
	}
	var deadline time.Time
	if wait > 0 {
		deadline = time.Now().Add(wait)
	}
	if err := c.turn.Ask().WaitUntil(ctx, deadline); err != nil {
		return turnError(err)
	}
	defer c.turn.Unlock()
	spin := true
	for {
		// A queued datagram is taken without arming the deadline and the
		// cancel watch: under load that is most reads.
		err := ErrTimeout
		if !polled {
			err = c.Poll(m)
		}
		polled = false
		if errors.Is(err, ErrTimeout) {
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return ErrTimeout
			}
			if spin && ctx.Err() == nil {
				// A busy socket's next datagram is a moment away: wait for
				// it in a blocking read first, one system call as in C,
				// where the netpoller's park and wake cost several and
				// two thread switches. A quiet socket goes on to the
				// netpoller.
				spin = false
				if err = c.readHot(m, deadline); errors.Is(err, errWouldBlock) {
					continue
				}
			} else {
				err = c.block(ctx, m, deadline)
			}
		}
		if errors.Is(err, errKicked) {
			continue
		}
		if err == nil && ctx.Err() != nil {
			// The datagram came as the caller left: keep it.
			c.Unread(m)
			return ctx.Err()
		}
		return err
	}
}

// spinWait is how long a read waits in a blocking read before it parks
// in the netpoller: a datagram that comes within it costs the least, and
// a thread is held for no longer.
const spinWait = 2 * time.Millisecond

// readHot reads a datagram into m waiting at most spinWait (or until
// deadline) in a blocking read of the socket; errWouldBlock when none
// came. The caller holds the turn; the socket stays in blocking mode
// until the netpoller is needed (block).
func (c *UDPConn) readHot(m *Message, deadline time.Time) error {
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return errWouldBlock
	}
	now := time.Now()
	yieldNow(now)
	end := now.Add(spinWait)
	if !deadline.IsZero() && deadline.Before(end) {
		end = deadline
	}
	for {
		// Whole milliseconds, so that the socket's timeout is set again
		// only when it changes, not at every read.
		d := time.Until(end)
		if d <= 0 {
			return errWouldBlock
		}
		d = (d + time.Millisecond - 1) / time.Millisecond * time.Millisecond
		var (
			n, flags int
			from     netip.AddrPort
			rerr     error
		)
		cerr := rc.Control(func(fd uintptr) {
			if !c.blocking {
				if rerr = setBlocking(fd, true); rerr != nil {
					return
				}
				c.blocking = true
			}
			if d != c.rcvTimeout {
				if rerr = setRecvTimeout(fd, d); rerr != nil {
					return
				}
				c.rcvTimeout = d
			}
			hadBuf := m.Buf != nil
			m.buffer()
			n, flags, from, rerr = recvWait(fd, m.Buf)
			if rerr != nil && !hadBuf {
				m.Release()
			}
		})
		switch {
		case cerr != nil:
			return c.finish(m, 0, 0, netip.AddrPort{}, cerr)
		case errors.Is(rerr, errSignal):
			continue // a signal for the runtime cut the wait short
		case errors.Is(rerr, errWouldBlock):
			return errWouldBlock
		}
		return c.finish(m, n, flags, from, rerr)
	}
}

// lastYield is when a blocking read last let the Go scheduler run
// (nanoseconds of the monotonic clock since start).
var lastYield atomic.Int64

// start is the origin of lastYield's clock.
var start = time.Now()

// yieldEvery is how often a goroutine that keeps reading in blocking
// system calls yields to the Go scheduler.
const yieldEvery = 8 * time.Millisecond

// yieldNow yields to the Go scheduler when no blocking read has for
// yieldEvery. A goroutine that waits in blocking reads (readHot) never
// parks, so to the runtime it runs without a break: after 10 ms its
// system monitor preempts it with a signal, which cuts the read short,
// takes its P away while it is in the system call, and sets the monitor
// waking every 20 µs again. Yielding first, at a cost of well under a
// microsecond every few milliseconds, spares all of that: the monitor
// then sleeps 10 ms at a time.
func yieldNow(now time.Time) {
	t := int64(now.Sub(start))
	if last := lastYield.Load(); t-last >= int64(yieldEvery) && lastYield.CompareAndSwap(last, t) {
		runtime.Gosched()
	}
}

// nonblocking puts the socket back in the mode Go's netpoller needs; the
// caller holds the turn.
func (c *UDPConn) nonblocking() error {
	if !c.blocking {
		return nil
	}
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setBlocking(fd, false) }); err != nil {
		return err
	}
	if serr == nil {
		c.blocking = false
	}
	return serr
}

// errKicked says a blocked read was woken to look at the kept datagrams.
var errKicked = errors.New("kicked")

// block waits in the kernel for one datagram until deadline or ctx's end;
// the caller holds the turn. The deadline is cleared again before it
// returns: it is this read's, not the socket's.
func (c *UDPConn) block(ctx context.Context, m *Message, deadline time.Time) error {
	if err := c.nonblocking(); err != nil {
		return err
	}
	c.mu.Lock()
	c.blocked, c.kicked = true, false
	err := c.conn.SetReadDeadline(deadline)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.kick)
	var (
		n, flags int
		from     netip.AddrPort
		rerr     error
	)
	rc, err := c.conn.SyscallConn()
	if err == nil {
		// Wait for a datagram (or the deadline) without a buffer.
		err = rc.Read(func(fd uintptr) bool {
			n, flags, from, rerr = c.pollRaw(fd, m)
			return rerr != errWouldBlock
		})
	}
	if err == nil {
		err = rerr
	}
	stop()
	c.mu.Lock()
	c.blocked = false
	kicked := c.kicked
	c.conn.SetReadDeadline(time.Time{})
	c.mu.Unlock()
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if kicked {
			return errKicked
		}
	}
	return c.finish(m, n, flags, from, err)
}

// kick wakes the read blocked in the kernel, if there is one.
func (c *UDPConn) kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocked {
		c.kicked = true
		c.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// Unread gives back a datagram that was read but not used (its reader was
// cancelled as it came): the next read returns it, before any other.
func (c *UDPConn) Unread(m *Message) {
	k := &Message{Buf: append([]byte(nil), m.Buf[:m.N]...), N: m.N, Addr: m.Addr, Truncated: m.Truncated}
	c.mu.Lock()
	c.kept = append([]*Message{k}, c.kept...)
	c.mu.Unlock()
	c.kick()
}

func (c *UDPConn) takeKept(m *Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.kept) == 0 {
		return false
	}
	m.buffer()
	k := c.kept[0]
	c.kept[0] = nil
	c.kept = c.kept[1:]
	m.N = copy(m.Buf, k.Buf[:k.N])
	m.Addr = k.Addr
	m.Truncated = k.Truncated || m.N < k.N
	return true
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
	m.Truncated = flags&msgTrunc != 0
	return nil
}

// turnError maps a failed wait for a turn to the core's errors.
func turnError(err error) error {
	if errors.Is(err, turn.ErrTimeout) {
		return ErrTimeout
	}
	return err
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
	var ifi *net.Interface
	if iface != "" {
		var err error
		if ifi, err = net.InterfaceByName(iface); err != nil {
			return err
		}
	}
	g := &net.UDPAddr{IP: group.AsSlice()}
	if group.Is4() {
		p := ipv4.NewPacketConn(c.conn)
		if join {
			return p.JoinGroup(ifi, g)
		}
		return p.LeaveGroup(ifi, g)
	}
	p := ipv6.NewPacketConn(c.conn)
	if join {
		return p.JoinGroup(ifi, g)
	}
	return p.LeaveGroup(ifi, g)
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
