package sock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sockshell/sockshell/luaapi/internal/turn"
)

// ListenOptions configure a listening socket.
type ListenOptions struct {
	// ReuseAddr sets SO_REUSEADDR before binding: a TCP port in TIME_WAIT
	// can be bound again; several UDP sockets can share a port.
	ReuseAddr bool
}

func (o ListenOptions) config() net.ListenConfig {
	if !o.ReuseAddr {
		return listenConfig
	}
	return net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = setReuseAddr(fd) }); err != nil {
			return err
		}
		return serr
	}}
}

// waker is the state of one call blocked in the kernel with a deadline:
// another goroutine can wake it (a cancellation, or data given back) by
// moving the deadline into the past. Each blocked call sets the deadline it
// needs and clears it when it returns, so that no deadline outlives its call.
type waker struct {
	mu      sync.Mutex
	blocked bool
	kicked  bool
	set     func(time.Time) error // sets the deadline of the blocked call
}

// arm marks a call as blocked with its deadline.
func (w *waker) arm(deadline time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.blocked, w.kicked = true, false
	return w.set(deadline)
}

// disarm ends the blocked call, clears its deadline and reports whether it
// was kicked.
func (w *waker) disarm() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.blocked = false
	w.set(time.Time{})
	return w.kicked
}

// kick wakes the blocked call, if there is one.
func (w *waker) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.blocked {
		w.kicked = true
		w.set(time.Unix(1, 0))
	}
}

// deadlineOf is the deadline of a wait from now: zero for Forever.
func deadlineOf(wait time.Duration) time.Time {
	if wait < 0 {
		return time.Time{}
	}
	return time.Now().Add(wait)
}

// Listener is a listening TCP socket. Accepts may run from any goroutine;
// those that wait take turns in call order, each with its own deadline.
type Listener struct {
	l    *net.TCPListener
	turn turn.Turn
	w    waker
	mu   sync.Mutex
	kept []*Conn // connections accepted for callers that were gone
}

// ListenTCP makes a listening TCP socket on host and port, with the same
// host forms as ListenUDP.
func ListenTCP(ctx context.Context, host string, port int, opts ListenOptions) (*Listener, error) {
	network, addr, err := bindAddr(ctx, host, port)
	if err != nil {
		return nil, err
	}
	cfg := opts.config()
	l, err := cfg.Listen(ctx, "tcp"+network[len("udp"):], addr)
	if err != nil {
		return nil, err
	}
	tl := &Listener{l: l.(*net.TCPListener)}
	tl.w.set = tl.l.SetDeadline
	return tl, nil
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() netip.AddrPort { return l.l.Addr().(*net.TCPAddr).AddrPort() }

// Close stops listening and closes the connections kept for later accepts.
func (l *Listener) Close() error {
	l.mu.Lock()
	kept := l.kept
	l.kept = nil
	l.mu.Unlock()
	for _, c := range kept {
		c.Close()
	}
	return l.l.Close()
}

// Accept waits for a connection: wait as in UDPConn.ReadFrom (Forever, or
// a duration), ctx's end returning at once. A connection that arrives as
// ctx ends is kept for the next Accept.
func (l *Listener) Accept(ctx context.Context, wait time.Duration) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	deadline := deadlineOf(wait)
	if err := l.turn.Ask().WaitUntil(ctx, deadline); err != nil {
		return nil, turnError(err)
	}
	defer l.turn.Unlock()
	for {
		if c := l.takeKept(); c != nil {
			return c, nil
		}
		if err := l.w.arm(deadline); err != nil {
			return nil, err
		}
		stop := context.AfterFunc(ctx, l.w.kick)
		c, err := l.l.AcceptTCP()
		stop()
		kicked := l.w.disarm()
		if err == nil {
			conn := newConn(c)
			if ctx.Err() != nil {
				l.Unaccept(conn)
				return nil, ctx.Err()
			}
			return conn, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			if kicked {
				continue
			}
		}
		return nil, timeoutOr(err)
	}
}

// Unaccept gives back a connection that was accepted but not used: the
// next Accept returns it.
func (l *Listener) Unaccept(c *Conn) {
	l.mu.Lock()
	l.kept = append([]*Conn{c}, l.kept...)
	l.mu.Unlock()
	l.w.kick()
}

func (l *Listener) takeKept() *Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.kept) == 0 {
		return nil
	}
	c := l.kept[0]
	l.kept = l.kept[1:]
	return c
}

// Conn is a TCP connection with a receive buffer. Its reads follow
// LuaSocket's patterns and never lose data: what a failed read had
// gathered is returned with its error, and what a cancelled caller got can
// be given back with Unread. Reads that wait take turns with reads, sends
// with sends, in call order; any goroutine may call any method.
type Conn struct {
	c     *net.TCPConn
	rturn turn.Turn
	wturn turn.Turn
	rw    waker // the blocked read
	ww    waker // the blocked write
	mu    sync.Mutex
	buf   []byte // received and not yet returned; guarded by mu
	eof   bool   // the peer has closed its side; guarded by mu

	// Trace, when set (before the connection is used), is called with
	// each chunk read from the network (in) and written to it.
	Trace func(in bool, b []byte)
}

func newConn(c *net.TCPConn) *Conn {
	conn := &Conn{c: c}
	conn.rw.set = c.SetReadDeadline
	conn.ww.set = c.SetWriteDeadline
	return conn
}

// Dial connects to host and port (a name is resolved, IPv4 first), giving
// up after wait (Forever: the system's own limit) or when ctx ends.
func Dial(ctx context.Context, host string, port int, wait time.Duration) (*Conn, error) {
	if wait >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	ap, err := Resolve(ctx, host, port, false)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		return nil, err
	}
	return newConn(c.(*net.TCPConn)), nil
}

// LocalAddr is the connection's own address.
func (c *Conn) LocalAddr() netip.AddrPort { return c.c.LocalAddr().(*net.TCPAddr).AddrPort() }

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.c.RemoteAddr().(*net.TCPAddr).AddrPort() }

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// CloseWrite shuts down the sending side: the peer reads the end of the
// stream, and this side can still receive.
func (c *Conn) CloseWrite() error { return c.c.CloseWrite() }

// CloseRead shuts down the receiving side.
func (c *Conn) CloseRead() error { return c.c.CloseRead() }

// Pattern says how much a Receive takes.
type Pattern struct {
	Line bool // up to a line feed, which is dropped with a carriage return before it
	All  bool // until the peer closes
	N    int  // exactly N bytes, when neither Line nor All
	// Max bounds a line (0: no bound): a line feed not within Max bytes
	// ends the read with ErrLineTooLong, and what was read, rather than
	// let one line fill memory.
	Max int
	// Grow, when set, is asked before the buffer grows past each quarter
	// more of its size from 64 KiB on (size: what it holds); an error it
	// returns ends the read with that error, and what was read stays for
	// the next Receive.
	Grow func(size int) error
}

// ErrLineTooLong is a line read that passed its pattern's Max.
var ErrLineTooLong = errors.New("line too long")

// tooLong reports whether the buffer holds more than p's longest line
// without its end; c.mu is held.
func (c *Conn) tooLong(p Pattern) bool {
	if !p.Line || p.Max <= 0 || len(c.buf) <= p.Max {
		return false
	}
	return bytes.IndexByte(c.buf[:p.Max+1], '\n') < 0
}

// take returns what p wants from the buffer, if it is there, and the
// bytes it took from the stream (a line's end included); c.mu is held.
func (c *Conn) take(p Pattern) (data, raw []byte, ok bool) {
	n := 0
	switch {
	case p.Line:
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 || p.Max > 0 && i > p.Max {
			return nil, nil, false
		}
		n = i + 1
		data = bytes.TrimSuffix(c.buf[:i], []byte("\r"))
	case p.All:
		if !c.eof {
			return nil, nil, false
		}
		n = len(c.buf)
		data = c.buf
	default:
		if len(c.buf) < p.N {
			return nil, nil, false
		}
		n = p.N
		data = c.buf[:n]
	}
	raw = copyOf(c.buf[:n])
	data = raw[:len(data)]
	c.buf = c.buf[n:]
	return data, raw, true
}

// longLine hands over the start of a line longer than its pattern's Max:
// up to its end and without it when the end is in the buffer (the next
// read starts at the next line), else all the buffer holds.
func (c *Conn) longLine() ([]byte, func(), error) {
	c.mu.Lock()
	n, end := len(c.buf), len(c.buf)
	if i := bytes.IndexByte(c.buf, '\n'); i >= 0 {
		n, end = i+1, i
		if end > 0 && c.buf[end-1] == '\r' {
			end--
		}
	}
	raw := copyOf(c.buf[:n])
	c.buf = c.buf[n:]
	c.mu.Unlock()
	return raw[:end], func() { c.Unread(raw) }, ErrLineTooLong
}

// rest hands over what the buffer holds, for a read that failed.
func (c *Conn) rest() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.buf
	c.buf = nil
	return out
}

// restUndoable is rest for ReceiveUndoable, failing with err.
func (c *Conn) restUndoable(err error) ([]byte, func(), error) {
	data := c.rest()
	return data, func() { c.Unread(data) }, err
}

func copyOf(b []byte) []byte { return append([]byte(nil), b...) }

// TryReceive returns what p wants if it is in the buffer or can be read
// without waiting; ok is false otherwise (nothing is consumed), and when a
// read that waits is under way: a new read queues behind it.
func (c *Conn) TryReceive(p Pattern) (data []byte, ok bool) {
	if !c.rturn.TryLock() {
		return nil, false
	}
	defer c.rturn.Unlock()
	c.mu.Lock()
	data, _, ok = c.take(p)
	eof, long := c.eof, c.tooLong(p)
	c.mu.Unlock()
	if ok || eof || long || c.fill() != nil {
		return data, ok
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	data, _, ok = c.take(p)
	return data, ok
}

// chunks holds the buffers reads read into: a read that waits holds none,
// so an idle connection costs no buffer.
var chunks = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// readQueued reads what is queued on fd into the buffer without waiting;
// errWouldBlock when nothing is.
func (c *Conn) readQueued(fd uintptr) error {
	chunk := chunks.Get().(*[]byte)
	defer chunks.Put(chunk)
	n, err := readNow(fd, *chunk)
	if err != nil {
		return err
	}
	if c.Trace != nil && n > 0 {
		c.Trace(true, (*chunk)[:n])
	}
	c.mu.Lock()
	if n == 0 {
		c.eof = true
	}
	c.buf = append(c.buf, (*chunk)[:n]...)
	c.mu.Unlock()
	return nil
}

// fill reads what is queued without waiting; ErrTimeout when nothing is.
// No deadline affects it.
func (c *Conn) fill() error {
	rc, err := c.c.SyscallConn()
	if err != nil {
		return err
	}
	var rerr error
	if err := rc.Control(func(fd uintptr) { rerr = c.readQueued(fd) }); err != nil {
		return err
	}
	if rerr == errWouldBlock {
		return ErrTimeout
	}
	return rerr
}

// await waits until something can be read (or the read deadline passes)
// and reads it.
func (c *Conn) await() error {
	rc, err := c.c.SyscallConn()
	if err != nil {
		return err
	}
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		rerr = c.readQueued(fd)
		return rerr != errWouldBlock
	}); err != nil {
		return err
	}
	return rerr
}

// Receive reads what p wants, waiting as in UDPConn.ReadFrom. When it
// fails (timeout, the peer closed) it returns what it had gathered with
// the error: nothing is lost. When ctx ends it returns ctx's error and
// keeps what it gathered for the next Receive. With p.All the peer's close
// is the success.
func (c *Conn) Receive(ctx context.Context, p Pattern, wait time.Duration) ([]byte, error) {
	data, _, err := c.ReceiveUndoable(ctx, p, wait)
	return data, err
}

// ReceiveUndoable is Receive that also returns a function that gives what
// it read back to the stream (with a line's end, as it came), for a caller
// that was stopped before it could use it.
func (c *Conn) ReceiveUndoable(ctx context.Context, p Pattern, wait time.Duration) (data []byte, undo func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	deadline := deadlineOf(wait)
	if err := c.rturn.Ask().WaitUntil(ctx, deadline); err != nil {
		return nil, nil, turnError(err)
	}
	defer c.rturn.Unlock()
	ask := 64 << 10 // the size at which p.Grow is asked next
	for {
		c.mu.Lock()
		data, raw, ok := c.take(p)
		eof, long, size := c.eof, c.tooLong(p), len(c.buf)
		c.mu.Unlock()
		undo = func() { c.Unread(raw) }
		if ok {
			if ctx.Err() != nil {
				undo()
				return nil, nil, ctx.Err()
			}
			return data, undo, nil
		}
		if long {
			return c.longLine()
		}
		if eof {
			return c.restUndoable(io.EOF)
		}
		if p.Grow != nil && size >= ask {
			if err := p.Grow(size); err != nil {
				return nil, nil, err
			}
			ask = size + size/4
		}
		if err := c.fill(); err == nil {
			continue
		} else if !errors.Is(err, ErrTimeout) {
			return c.restUndoable(err)
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return c.restUndoable(ErrTimeout)
		}
		if err := c.rw.arm(deadline); err != nil {
			return c.restUndoable(err)
		}
		stop := context.AfterFunc(ctx, c.rw.kick)
		err := c.await()
		stop()
		kicked := c.rw.disarm()
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
			return nil, nil, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded) && kicked:
		default:
			return c.restUndoable(timeoutOr(err))
		}
	}
}

// Unread puts bytes taken from the stream back before anything else in
// the buffer, for the next Receive.
func (c *Conn) Unread(data []byte) {
	if len(data) == 0 {
		return
	}
	c.mu.Lock()
	c.buf = append(copyOf(data), c.buf...)
	c.mu.Unlock()
	c.rw.kick()
}

// TrySend writes what it can of b without waiting. It writes nothing while
// a send that waits is under way or queued: sends go out in call order.
func (c *Conn) TrySend(b []byte) (int, error) {
	if !c.wturn.TryLock() {
		return 0, nil
	}
	defer c.wturn.Unlock()
	rc, err := c.c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	if err := rc.Control(func(fd uintptr) { n, werr = writeNow(fd, b) }); err != nil {
		return 0, err
	}
	if werr == errWouldBlock {
		return 0, nil
	}
	if c.Trace != nil && n > 0 {
		c.Trace(false, b[:n])
	}
	return n, werr
}

// SendTicket is a send's place in the connection's queue of sends.
type SendTicket struct{ tk *turn.Ticket }

// QueueSend reserves the next place among the connection's sends: a send
// queued first goes out first, whichever goroutine gets to run first.
func (c *Conn) QueueSend() SendTicket { return SendTicket{c.wturn.Ask()} }

// Send writes all of b in its turn, waiting as Receive does for room. It
// returns how much was sent, with the error that stopped it. The ticket
// is used up either way.
func (c *Conn) Send(ctx context.Context, t SendTicket, b []byte, wait time.Duration) (int, error) {
	deadline := deadlineOf(wait)
	if err := t.tk.WaitUntil(ctx, deadline); err != nil {
		return 0, turnError(err)
	}
	defer c.wturn.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := c.ww.arm(deadline); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, c.ww.kick)
	n, err := c.c.Write(b)
	stop()
	c.ww.disarm()
	if c.Trace != nil && n > 0 {
		c.Trace(false, b[:n])
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return n, cerr
		}
		return n, timeoutOr(err)
	}
	return n, nil
}

// SetNoDelay turns Nagle's algorithm off (true) or on.
func (c *Conn) SetNoDelay(on bool) error { return c.c.SetNoDelay(on) }

// SetKeepAlive turns TCP keepalive probes on or off.
func (c *Conn) SetKeepAlive(on bool) error { return c.c.SetKeepAlive(on) }

// SetReadBuffer sets the kernel's receive buffer size.
func (c *Conn) SetReadBuffer(n int) error { return c.c.SetReadBuffer(n) }

// SetWriteBuffer sets the kernel's send buffer size.
func (c *Conn) SetWriteBuffer(n int) error { return c.c.SetWriteBuffer(n) }

// Option reads a socket option of c: "nodelay", "keepalive", "rcvbuf",
// "sndbuf" or "reuseaddr".
func (c *Conn) Option(name string) (int, error) { return getOption(c.c, name) }

// timeoutOr turns a deadline error into ErrTimeout.
func timeoutOr(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ErrTimeout
	}
	return err
}

// getOption reads an integer or boolean socket option by name.
func getOption(c syscall.Conn, name string) (int, error) {
	level, opt, ok := optionNumbers(name)
	if !ok {
		return 0, errors.New("unknown option " + strconv.Quote(name))
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = getsockoptInt(fd, level, opt) }); err != nil {
		return 0, err
	}
	return v, gerr
}
