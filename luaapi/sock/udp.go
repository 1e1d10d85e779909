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
	"syscall"
	"time"

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
	// Waited is set by ReadFrom when the datagram was not there yet: the
	// read waited for it in the kernel.
	Waited bool
	pooled *[]byte
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

// clone is a copy of m's datagram with a buffer of its own, to keep.
func (m *Message) clone() *Message {
	return &Message{Buf: append([]byte(nil), m.Buf[:m.N]...), N: m.N, Addr: m.Addr, Truncated: m.Truncated}
}

// Release gives back a buffer the read took from the pool; m.Buf is nil
// after it.
func (m *Message) Release() {
	if m.pooled != nil {
		buffers.Put(m.pooled)
		m.pooled, m.Buf = nil, nil
	}
}

// listenConfig binds TCP sockets. (UDP sockets are made by listenUDP.)
var listenConfig net.ListenConfig

// ListenUDP binds a UDP socket to host and port. An empty host, "*" and
// "0.0.0.0" mean every IPv4 interface; "::" means every interface, IPv6 and
// IPv4 alike; a name is resolved, IPv4 first. Port 0 picks a free port.
func ListenUDP(ctx context.Context, host string, port int, opts ListenOptions) (*UDPConn, error) {
	network, addr, err := bindAddr(ctx, host, port)
	if err != nil {
		return nil, err
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return listenUDP(network, ap, opts)
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

// UDPConn is a bound UDP socket. Any goroutine may call any method. Reads
// that must wait take turns in the order they were made, each with its own
// deadline and context; each datagram goes to exactly one reader, and a
// datagram read for a caller that was gone when it came is kept for the
// next one.
//
// The socket stays out of Go's netpoller, in blocking mode: a read that
// waits does so in one recvfrom(2) on its own thread, woken by the
// datagram itself, as in C. A socket in the netpoller would wake the
// netpoller's thread at every datagram (its events are edge-triggered)
// whenever another goroutine waits for a timer or a connection — a
// second thread switch per datagram. A wait lasts at most readSlice in
// the kernel before it looks at its context and deadline again; Close
// wakes it at once.
type UDPConn struct {
	// fd is the descriptor, used under fdmu's read lock (acquire); Close
	// takes the write lock to close it once no call uses it. file owns it
	// (its finalizer closes a socket never closed).
	fd    int
	fdmu  sync.RWMutex
	file  *os.File
	local netip.AddrPort
	// closed is set by Close before it wakes a blocked read.
	closed atomic.Bool
	// turn orders the reads that wait; the holder's wait is the socket's
	// receive timeout, rcvTimeout (guarded by turn).
	turn       turn.Turn
	rcvTimeout time.Duration
	// mu guards kept and ahead.
	mu   sync.Mutex
	kept []*Message // oldest first; reads return these before the network's
	// held says kept or ahead has a datagram (written under mu), so that
	// a read looks at them without the lock when there is none.
	held atomic.Bool
	// ahead holds datagrams read in a batch and not given yet, returned
	// after kept's and before the kernel's. It is made, and batching
	// starts, once streak reads in a row found their datagram there
	// already: a flood. Batching stops after thinReads batches in a row
	// brought one datagram or none, where a single read costs less.
	ahead *readAhead
	// batching is written under mu and read without it.
	batching atomic.Bool
	thin     int
	streak   atomic.Int32
	// coalesce is how long (ns) a batching read that finds the queue
	// empty lets datagrams gather before it takes them (SetCoalesce).
	coalesce atomic.Int64
	// waker wakes the ReadFrom that waits in the kernel (Wake).
	waker Waker
}

// gathering is called as a coalescing read begins to let datagrams
// gather, and waiting as a read of a stream found none queued and waits
// for one; tests set them to know when.
var gathering, waiting = func() {}, func() {}

// MaxCoalesce bounds SetCoalesce.
const MaxCoalesce = 100 * time.Millisecond

// SetCoalesce makes reads of a stream wake less often: once datagrams
// keep coming faster than they are read (the socket reads in batches), a
// read that finds none there sleeps d, then takes all that came meanwhile
// at once, instead of waking for each. Each datagram is then delivered up
// to d late, for a fraction of the CPU: a wake-up is most of what a
// datagram costs. 0, the default, delivers each at once; d is at most
// MaxCoalesce.
func (c *UDPConn) SetCoalesce(d time.Duration) {
	c.coalesce.Store(int64(min(max(d, 0), MaxCoalesce)))
}

// Coalesce is what SetCoalesce set.
func (c *UDPConn) Coalesce() time.Duration { return time.Duration(c.coalesce.Load()) }

// backlogReads is how many reads in a row must find their datagram there
// already before the socket reads in batches; thinReads how many batches
// in a row of one datagram or none end that.
const (
	backlogReads = 8
	thinReads    = 8
)

// waitedAfter is how long a read in the kernel takes, at least, when its
// datagram was not there yet (Message.Waited).
const waitedAfter = 5 * time.Microsecond

// readSlice bounds one wait in the kernel: the latency of a cancellation
// (Ctrl-C) of a read that waits, and how often a quiet socket's reader
// wakes (20 times a second, each a few microseconds).
const readSlice = 50 * time.Millisecond

// RecvBuffer is the receive buffer a bound UDP socket asks for: datagrams
// that come faster than a script reads them (a burst, a receiver printing
// to a slow terminal, a pause) wait there instead of being dropped. The
// kernel's default (208 KiB on Linux) holds a few hundred small datagrams,
// a few hundred microseconds of a fast sender. The system caps what a
// program may ask for (net.core.rmem_max on Linux, which the kernel then
// doubles; kern.ipc.maxsockbuf on the BSDs); a socket gets the most it
// allows up to this, unless its default is larger already. The memory is
// taken only by datagrams that wait.
const RecvBuffer = 4 << 20

// raiseRecvBuffer asks for RecvBuffer, halving the request while the
// system refuses it (the BSDs refuse sizes over their cap where Linux
// cuts them down), and never asks for less than the socket has.
func raiseRecvBuffer(fd int) {
	have, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	if err != nil {
		return
	}
	for want := RecvBuffer; want > have; want /= 2 {
		if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, want) == nil {
			return
		}
	}
}

// listenUDP makes a UDP socket of network ("udp4", "udp6", or "udp" for a
// dual-stack IPv6 one) bound to ap, in blocking mode and outside Go's
// netpoller. Errors read as the net package's do.
func listenUDP(network string, ap netip.AddrPort, opts ListenOptions) (*UDPConn, error) {
	family := syscall.AF_INET6
	if network == "udp4" {
		family = syscall.AF_INET
	}
	opErr := func(call string, err error) error {
		return &net.OpError{Op: "listen", Net: network, Addr: net.UDPAddrFromAddrPort(ap), Err: os.NewSyscallError(call, err)}
	}
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM, syscall.IPPROTO_UDP)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, opErr("socket", err)
	}
	fail := func(call string, err error) (*UDPConn, error) {
		syscall.Close(fd)
		return nil, opErr(call, err)
	}
	// SO_BROADCAST as Go's net package sets it on every UDP socket, so
	// that sending to a broadcast address needs no extra call, as the
	// chapter's sender expects (TestBroadcastNeedsNoExtraCall keeps it so).
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1); err != nil {
		return fail("setsockopt", err)
	}
	if family == syscall.AF_INET6 {
		v6only := 0
		if network == "udp6" {
			v6only = 1
		}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only); err != nil {
			return fail("setsockopt", err)
		}
	}
	if opts.ReuseAddr {
		if err := setReuseAddr(uintptr(fd)); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := setRecvTimeout(uintptr(fd), readSlice); err != nil {
		return fail("setsockopt", err)
	}
	raiseRecvBuffer(fd)
	if err := syscall.Bind(fd, sockaddr(family, ap)); err != nil {
		return fail("bind", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	return &UDPConn{fd: fd, file: os.NewFile(uintptr(fd), "udp"), local: addrPort(sa), rcvTimeout: readSlice}, nil
}

// sockaddr is ap as a socket address of family; an IPv4 address is
// mapped for an IPv6 socket.
func sockaddr(family int, ap netip.AddrPort) syscall.Sockaddr {
	if family == syscall.AF_INET {
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	}
	return &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16(), ZoneId: zoneIndex(ap.Addr().Zone())}
}

// addrPort is a socket address as an address and port.
func addrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// LocalAddr is the address the socket is bound to.
func (c *UDPConn) LocalAddr() netip.AddrPort { return c.local }

// IPv6 reports whether the socket is an IPv6 (possibly dual-stack) socket.
func (c *UDPConn) IPv6() bool { return !c.local.Addr().Is4() }

// SyscallConn gives access to the descriptor, as net.UDPConn's does.
func (c *UDPConn) SyscallConn() (syscall.RawConn, error) { return rawConn{c}, nil }

// rawConn is a UDPConn's syscall.RawConn. The descriptor is in blocking
// mode: Read and Write call f once.
type rawConn struct{ c *UDPConn }

func (r rawConn) Control(f func(fd uintptr)) error {
	fd, err := r.c.acquire()
	if err != nil {
		return err
	}
	defer r.c.release()
	f(uintptr(fd))
	return nil
}

func (r rawConn) Read(f func(fd uintptr) bool) error {
	return r.Control(func(fd uintptr) { f(fd) })
}

func (r rawConn) Write(f func(fd uintptr) bool) error {
	return r.Control(func(fd uintptr) { f(fd) })
}

// acquire gives the descriptor for one call, which must release it;
// net.ErrClosed once Close was called. (A closure handed to a RawConn
// would put the caller's variables on the heap: the hot paths call the
// system directly between acquire and release.)
func (c *UDPConn) acquire() (int, error) {
	c.fdmu.RLock()
	if c.fd < 0 {
		c.fdmu.RUnlock()
		return -1, net.ErrClosed
	}
	return c.fd, nil
}

func (c *UDPConn) release() { c.fdmu.RUnlock() }

// Close closes the socket, waking a read blocked on it. Closing twice
// returns net.ErrClosed the second time.
func (c *UDPConn) Close() error {
	if c.closed.Swap(true) {
		return c.opError("close", net.ErrClosed)
	}
	// shutdown(2) wakes a read blocked in the kernel (Linux does it for
	// an unconnected socket too, while it answers ENOTCONN); the
	// descriptor itself is closed once that read has returned.
	// Only Close closes fd, and only once: it is open until the lock.
	syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	c.fdmu.Lock()
	defer c.fdmu.Unlock()
	c.fd = -1
	c.mu.Lock()
	if c.ahead != nil {
		c.ahead.free()
		c.ahead = &readAhead{} // empty: a read after Close finds nothing queued
	}
	c.noteHeld()
	c.mu.Unlock()
	return c.file.Close()
}

// opError wraps err as the net package words a failed call on c.
func (c *UDPConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.network(), Source: nil, Addr: net.UDPAddrFromAddrPort(c.local), Err: err}
}

func (c *UDPConn) network() string {
	if c.IPv6() {
		return "udp6"
	}
	return "udp4"
}

// control runs f on the descriptor; net.ErrClosed once Close was called.
func (c *UDPConn) control(f func(fd int)) error {
	fd, err := c.acquire()
	if err != nil {
		return err
	}
	defer c.release()
	f(fd)
	return nil
}

// Poll takes a datagram that is already there (kept by Unread, or queued
// in the kernel) without waiting: ErrTimeout when there is none. It does
// not wait for the reads that wait, and no deadline affects it.
func (c *UDPConn) Poll(m *Message) error {
	if c.queued(m) {
		return nil
	}
	err := c.fromKernel(m, false, 0)
	switch {
	case err == nil:
		c.found()
	case errors.Is(err, errWouldBlock), errors.Is(err, errSignal):
		c.streak.Store(0)
		return ErrTimeout
	}
	return err
}

// ReadFrom reads one datagram into m. wait is how long to wait for one:
// Forever (or any negative value) waits until one comes, 0 only takes one
// that is already there (as Poll). It returns ErrTimeout when the wait
// passes, ctx's error when ctx ends first (within readSlice), and an
// error matching net.ErrClosed once the socket is closed. A datagram that
// arrives as ctx ends is kept for the next read.
func (c *UDPConn) ReadFrom(ctx context.Context, m *Message, wait time.Duration) error {
	_, err := c.read(ctx, m, wait, nil)
	return err
}

// ErrGiveWay is what ReadFromHolding returns when its caller has to give
// way: nothing was read.
var ErrGiveWay = errors.New("give way")

// ReadFromHolding reads as ReadFrom, for a caller that holds what others
// may come to need while it waits (a lock, a turn): between two slices of
// its wait in the kernel (at most readSlice each) it asks giveWay, and
// when that reports true it returns ErrGiveWay, with what is left of wait
// (Forever when wait was), for the caller to let go and read again.
func (c *UDPConn) ReadFromHolding(ctx context.Context, m *Message, wait time.Duration, giveWay func() bool) (left time.Duration, err error) {
	return c.read(ctx, m, wait, giveWay)
}

// read is ReadFrom, and ReadFromHolding when giveWay is not nil.
func (c *UDPConn) read(ctx context.Context, m *Message, wait time.Duration, giveWay func() bool) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if wait == 0 {
		return 0, c.Poll(m)
	}
	// Times are the monotonic clock's since start, read once before the
	// kernel's wait and once after (time.Now reads the wall clock too).
	var deadline time.Duration // 0: none
	if wait > 0 {
		deadline = monotonic() + wait
	}
	if err := c.turn.Ask().WaitUntil(ctx, wallDeadline(deadline)); err != nil {
		return 0, turnError(err)
	}
	defer c.turn.Unlock()
	now := monotonic()
	for {
		if c.queued(m) {
			return 0, nil
		}
		if c.batching.Load() && c.coalesce.Load() == 0 {
			// A stream: take what is queued, in one batch, before a
			// wait for the next.
			if err := c.Poll(m); !errors.Is(err, ErrTimeout) {
				m.Waited = false
				return 0, err
			}
			waiting()
		}
		yieldNow(now)
		// The kernel's wait: a slice, or what is left of the deadline in
		// whole milliseconds (so that a read with a long timeout sets the
		// socket's timeout only near its end).
		d := readSlice
		if deadline != 0 {
			left := deadline - now
			if left <= 0 {
				return 0, ErrTimeout
			}
			if left < d {
				d = (left + time.Millisecond - 1) / time.Millisecond * time.Millisecond
			}
		}
		var err error
		if giveWay == nil {
			err = c.wakeableFromKernel(ctx, m, d)
		} else {
			err = c.fromKernel(m, true, d)
		}
		then := monotonic()
		// A read that returns at once takes well under waitedAfter; one
		// that slept took a wake-up at least.
		waited := then-now > waitedAfter
		now = then
		if err != nil {
			if !errors.Is(err, errSignal) && !errors.Is(err, errWouldBlock) {
				return 0, err
			}
			// A signal for the runtime, or the slice's end: look again.
			c.streak.Store(0)
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if giveWay != nil && giveWay() {
				if deadline == 0 {
					return Forever, ErrGiveWay
				}
				return max(deadline-now, 1), ErrGiveWay
			}
			continue
		}
		m.Waited = waited
		if waited {
			c.streak.Store(0)
		} else {
			c.found()
		}
		if ctx.Err() != nil {
			// The datagram came as the caller left: keep it.
			c.Unread(m)
			return 0, ctx.Err()
		}
		return 0, nil
	}
}

// wakeableFromKernel is fromKernel's wait for a datagram, which Wake cuts
// short: the goroutine keeps to its thread meanwhile, so that the thread
// Wake signals is the one in the kernel. It returns ctx's error when ctx
// has ended already: one who ended it while this read waited for its
// turn may have found no thread to wake.
func (c *UDPConn) wakeableFromKernel(ctx context.Context, m *Message, d time.Duration) error {
	c.waker.hold()
	defer c.waker.release()
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.fromKernel(m, true, d)
}

// Wake makes a ReadFrom that waits in the kernel look at its context now
// rather than at the end of its slice of the wait (up to readSlice): who
// cancels a reader's context calls it, so that the reader returns at
// once. A read caught just before it enters the kernel misses the call:
// calling it again, every millisecond say, until the read has returned
// closes that gap. It does nothing to a read made by ReadFromHolding,
// which its holder wakes by giving way, nor where threads cannot be woken
// so (all but Linux): those look at the end of their slice. A read that
// does not wait is not disturbed.
func (c *UDPConn) Wake() { c.waker.Wake() }

// monotonic is the time since start, from the monotonic clock alone.
func monotonic() time.Duration { return time.Since(start) }

// wallDeadline is a deadline since start as a time; zero for none.
func wallDeadline(d time.Duration) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return start.Add(d)
}

// found counts a read that found its datagram there already; after
// backlogReads in a row the socket reads ahead in batches.
func (c *UDPConn) found() {
	if c.streak.Add(1) != backlogReads {
		return
	}
	c.mu.Lock()
	if c.ahead == nil {
		c.ahead = newReadAhead()
	}
	c.batching.Store(c.ahead != nil)
	c.thin = 0
	c.mu.Unlock()
}

// fromKernel reads a datagram from the kernel into m: waiting up to d
// (the caller holds the turn) when wait is set, else only one that is
// there (errWouldBlock when none is), and then, with a read-ahead, what
// else is queued too, up to its slots. net.ErrClosed when the socket is
// closed.
func (c *UDPConn) fromKernel(m *Message, wait bool, d time.Duration) error {
	fd, err := c.acquire()
	if err != nil {
		return c.readError(err)
	}
	defer c.release()
	if wait && d != c.rcvTimeout {
		if err := setRecvTimeout(uintptr(fd), d); err != nil {
			return c.opError("read", os.NewSyscallError("setsockopt", err))
		}
		c.rcvTimeout = d
	}
	if !c.batching.Load() {
		// One datagram at a time: the read that waits is woken by one,
		// and most reads that do not find the queue empty.
		return c.readOne(fd, m, wait)
	}
	return c.readBatch(fd, m, wait, d)
}

// readBatch is fromKernel's read of a socket that reads in batches.
func (c *UDPConn) readBatch(fd int, m *Message, wait bool, d time.Duration) error {
	c.mu.Lock()
	a := c.ahead
	gather := time.Duration(c.coalesce.Load())
	coalesce := wait && !a.busy && gather > 0
	if !coalesce && (wait || a.busy || !c.batching.Load()) {
		// A read that waits finds the queue empty, most likely: it reads
		// the one datagram that wakes it; so does a read while another
		// fills the slots.
		a = nil
	} else {
		a.busy = true
	}
	c.mu.Unlock()
	if a != nil {
		k, err := a.fill(fd, false)
		if coalesce && k == 0 {
			// The stream paused: let what comes in the next moment
			// gather, then take it in one batch, one wake-up for all.
			gathering()
			pause(min(gather, d))
			k, err = a.fill(fd, false)
		}
		c.mu.Lock()
		a.busy = false
		if coalesce && k == 0 {
			// Nothing came: the stream has stopped, wait for it alone.
			c.thinBatch()
			c.mu.Unlock()
			return c.readOne(fd, m, true)
		}
		defer c.mu.Unlock()
		if k <= 1 {
			c.thinBatch()
		} else {
			c.thin = 0
		}
		if err != nil {
			return err
		}
		a.n, a.next = k, 0
		if k == 0 || c.closedRead(a.firstLen() == 0) {
			a.n = 0
			return c.readError(net.ErrClosed)
		}
		// A datagram given back while this read waited comes first.
		if !c.takeKeptLocked(m) {
			a.take(m)
		}
		c.noteHeld()
		return nil
	}
	return c.readOne(fd, m, wait)
}

// readOne reads one datagram from fd into m, as fromKernel.
func (c *UDPConn) readOne(fd int, m *Message, wait bool) error {
	hadBuf := m.Buf != nil
	m.buffer()
	var (
		n, flags int
		from     netip.AddrPort
		err      error
	)
	if wait {
		n, flags, from, err = recvWait(uintptr(fd), m.Buf)
	} else {
		n, flags, from, err = recvNow(uintptr(fd), m.Buf)
	}
	if err != nil {
		if !hadBuf {
			m.Release()
		}
		if errors.Is(err, errWouldBlock) || errors.Is(err, errSignal) {
			return err
		}
	}
	if err == nil && c.closedRead(n == 0) {
		m.Release()
		return c.readError(net.ErrClosed)
	}
	if err := c.finish(m, n, flags, from, err); err != nil {
		return err
	}
	c.keepOrder(m)
	return nil
}

// thinBatch counts a batch of one datagram or none; after thinReads in a
// row the socket reads one at a time again. Under mu.
func (c *UDPConn) thinBatch() {
	if c.thin++; c.thin >= thinReads {
		c.batching.Store(false)
		c.streak.Store(0)
	}
}

// closedRead tells an empty read that Close's shutdown woke from an
// empty datagram.
func (c *UDPConn) closedRead(empty bool) bool { return empty && c.closed.Load() }

// readError is err, a failure to reach the descriptor, as a read reports
// it.
func (c *UDPConn) readError(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return c.opError("read", net.ErrClosed)
	}
	return err
}

// lastYield is when a blocking read last let the Go scheduler run
// (nanoseconds of the monotonic clock since start).
var lastYield atomic.Int64

// start is the origin of the monotonic clock of reads (monotonic).
var start = time.Now()

// yieldEvery is how often a goroutine that keeps reading in blocking
// system calls yields to the Go scheduler.
const yieldEvery = 8 * time.Millisecond

// yieldNow yields to the Go scheduler when no blocking read has for
// yieldEvery. A goroutine that waits in blocking reads never parks, so to
// the runtime it runs without a break: after 10 ms its system monitor
// preempts it with a signal, which cuts the read short, takes its P away
// while it is in the system call, and sets the monitor waking every
// 20 µs again. Yielding first, at a cost of a few microseconds every few
// milliseconds, spares all of that: the monitor then sleeps 10 ms at a
// time.
func yieldNow(now time.Duration) {
	t := int64(now)
	if last := lastYield.Load(); t-last >= int64(yieldEvery) && lastYield.CompareAndSwap(last, t) {
		runtime.Gosched()
	}
}

// Unread gives back a datagram that was read but not used (its reader was
// cancelled as it came): the next read returns it, before any other.
func (c *UDPConn) Unread(m *Message) {
	k := m.clone()
	c.mu.Lock()
	c.kept = append([]*Message{k}, c.kept...)
	c.noteHeld()
	c.mu.Unlock()
}

// keepOrder makes sure m, just read from the kernel, is not returned
// before a datagram given back meanwhile (Unread while the read waited):
// m then goes behind the kept ones, and the oldest comes out instead.
func (c *UDPConn) keepOrder(m *Message) {
	if !c.held.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.kept) == 0 {
		return
	}
	c.kept = append(c.kept, m.clone())
	c.takeKeptLocked(m)
}

// queued gives m the oldest datagram taken from the kernel and not given
// yet (given back by Unread, or read ahead); false when there is none.
func (c *UDPConn) queued(m *Message) bool {
	if !c.held.Load() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.takeKeptLocked(m) {
		return true
	}
	if a := c.ahead; a != nil && a.next < a.n {
		a.take(m)
		c.noteHeld()
		return true
	}
	return false
}

// noteHeld records whether kept or ahead has a datagram. Under mu, after
// every change of them.
func (c *UDPConn) noteHeld() {
	c.held.Store(len(c.kept) > 0 || c.ahead != nil && c.ahead.next < c.ahead.n)
}

func (c *UDPConn) takeKeptLocked(m *Message) bool {
	if len(c.kept) == 0 {
		return false
	}
	m.buffer()
	k := c.kept[0]
	c.kept[0] = nil
	c.kept = c.kept[1:]
	c.noteHeld()
	m.N = copy(m.Buf, k.Buf[:k.N])
	m.Addr = k.Addr
	m.Truncated = k.Truncated || m.N < k.N
	return true
}

func (c *UDPConn) finish(m *Message, n, flags int, from netip.AddrPort, err error) error {
	if err != nil {
		return c.opError("read", os.NewSyscallError("recvfrom", err))
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
	werr := func(err error) error {
		return &net.OpError{Op: "write", Net: c.network(), Source: net.UDPAddrFromAddrPort(c.local),
			Addr: net.UDPAddrFromAddrPort(addr), Err: err}
	}
	if !c.IPv6() && addr.Addr().Is6() && !addr.Addr().Is4In6() {
		return 0, werr(errFamily)
	}
	if c.IPv6() && addr.Addr().Is4() {
		addr = netip.AddrPortFrom(netip.AddrFrom16(addr.Addr().As16()), addr.Port())
	}
	for {
		fd, err := c.acquire()
		if err != nil {
			return 0, werr(err)
		}
		serr := sendNow(uintptr(fd), b, addr)
		c.release()
		switch {
		case serr == nil:
			return len(b), nil
		case errors.Is(serr, errSignal):
			continue
		case errors.Is(serr, errWouldBlock):
			// The send buffer is full: wait until it takes more.
			var werr2 error
			if err := c.control(func(fd int) {
				_, werr2 = WaitFD(context.Background(), fd, Writable, time.Time{}, nil)
			}); err != nil {
				werr2 = err
			}
			if werr2 != nil {
				return 0, werr(werr2)
			}
			continue
		}
		return 0, werr(os.NewSyscallError("sendto", serr))
	}
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
func (c *UDPConn) SetReadBuffer(n int) error {
	return c.setInt(syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}

// SetWriteBuffer sets the kernel's send buffer size.
func (c *UDPConn) SetWriteBuffer(n int) error {
	return c.setInt(syscall.SOL_SOCKET, syscall.SO_SNDBUF, n)
}

func (c *UDPConn) setInt(level, opt, v int) error {
	var serr error
	if err := c.control(func(fd int) { serr = syscall.SetsockoptInt(fd, level, opt, v) }); err != nil {
		return c.opError("set", err)
	}
	if serr != nil {
		return c.opError("set", os.NewSyscallError("setsockopt", serr))
	}
	return nil
}

// Option reads a socket option of c: "rcvbuf", "sndbuf", "reuseaddr" or
// "broadcast".
func (c *UDPConn) Option(name string) (int, error) { return getOption(c, name) }

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
	var serr error
	if err := c.control(func(fd int) { serr = setMembership(fd, group, ifi, join) }); err != nil {
		return c.opError("set", err)
	}
	if serr != nil {
		return c.opError("set", os.NewSyscallError("setsockopt", serr))
	}
	return nil
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
