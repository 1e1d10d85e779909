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
	"syscall"
	"time"
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
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
}

// Listener is a listening TCP socket. Accepts may run from any goroutine;
// they take turns.
type Listener struct {
	l    *net.TCPListener
	turn chan struct{}
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
	return &Listener{l: l.(*net.TCPListener), turn: make(chan struct{}, 1)}, nil
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() netip.AddrPort { return l.l.Addr().(*net.TCPAddr).AddrPort() }

// Close stops listening.
func (l *Listener) Close() error { return l.l.Close() }

// Accept waits for a connection: wait as in UDPConn.ReadFrom (Forever,
// or a duration), ctx's end returning at once.
func (l *Listener) Accept(ctx context.Context, wait time.Duration) (*Conn, error) {
	if err := takeTurn(ctx, l.turn); err != nil {
		return nil, err
	}
	defer func() { <-l.turn }()
	var deadline time.Time
	if wait >= 0 {
		deadline = time.Now().Add(wait)
	}
	if err := l.l.SetDeadline(deadline); err != nil {
		return nil, err
	}
	stop := watch(ctx, func() { l.l.SetDeadline(time.Unix(1, 0)) })
	c, err := l.l.AcceptTCP()
	if stop() && c == nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, timeoutOr(err)
	}
	return newConn(c), nil
}

// Conn is a TCP connection with a receive buffer. Its reads follow
// LuaSocket's patterns and never lose data: what a failed read had
// gathered is returned with its error. Reads take turns with reads, writes
// with writes; any goroutine may call any method.
type Conn struct {
	c     *net.TCPConn
	rturn chan struct{}
	wturn chan struct{}
	buf   []byte // received and not yet returned; guarded by rturn
	eof   bool   // the peer has closed its side; guarded by rturn
	chunk []byte // what a read reads into; guarded by rturn
}

func newConn(c *net.TCPConn) *Conn {
	return &Conn{c: c, rturn: make(chan struct{}, 1), wturn: make(chan struct{}, 1)}
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
}

// take returns what p wants from the buffer, if it is there.
func (c *Conn) take(p Pattern) ([]byte, bool) {
	switch {
	case p.Line:
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return nil, false
		}
		line := c.buf[:i]
		c.buf = c.buf[i+1:]
		return bytes.TrimSuffix(line, []byte("\r")), true
	case p.All:
		if !c.eof {
			return nil, false
		}
		all := c.buf
		c.buf = nil
		return all, true
	default:
		if len(c.buf) < p.N {
			return nil, false
		}
		out := c.buf[:p.N]
		c.buf = c.buf[p.N:]
		return out, true
	}
}

// rest hands over what the buffer holds, for a read that failed.
func (c *Conn) rest() []byte {
	out := c.buf
	c.buf = nil
	return out
}

// TryReceive returns what p wants if it is in the buffer or can be read
// without waiting; ok is false otherwise, and nothing is consumed.
func (c *Conn) TryReceive(p Pattern) (data []byte, ok bool) {
	select {
	case c.rturn <- struct{}{}:
		defer func() { <-c.rturn }()
	default:
		return nil, false // a read is under way
	}
	if data, ok := c.take(p); ok {
		return copyOf(data), true
	}
	if c.eof || c.fill() != nil {
		return nil, false
	}
	data, ok = c.take(p)
	return copyOf(data), ok
}

func copyOf(b []byte) []byte { return append([]byte(nil), b...) }

// fill reads what is queued without waiting; ErrTimeout when nothing is.
func (c *Conn) fill() error {
	rc, err := c.c.SyscallConn()
	if err != nil {
		return err
	}
	var chunk [4096]byte
	var n int
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), chunk[:])
		return true
	}); err != nil {
		return err
	}
	switch {
	case errors.Is(rerr, syscall.EAGAIN):
		return ErrTimeout
	case rerr != nil:
		return rerr
	case n == 0:
		c.eof = true
	}
	c.buf = append(c.buf, chunk[:n]...)
	return nil
}

// Receive reads what p wants, waiting as in UDPConn.ReadFrom. When it
// fails (timeout, the peer closed) it returns what it had gathered with
// the error: nothing is lost. When ctx ends it returns ctx's error and
// keeps what it gathered for the next Receive. With p.All the peer's close
// is the success.
func (c *Conn) Receive(ctx context.Context, p Pattern, wait time.Duration) ([]byte, error) {
	if err := takeTurn(ctx, c.rturn); err != nil {
		return nil, err
	}
	defer func() { <-c.rturn }()
	var deadline time.Time
	if wait >= 0 {
		deadline = time.Now().Add(wait)
	}
	if c.chunk == nil {
		c.chunk = make([]byte, 4096)
	}
	chunk := c.chunk
	for {
		if data, ok := c.take(p); ok {
			return copyOf(data), nil
		}
		if c.eof {
			return c.rest(), io.EOF
		}
		if err := c.c.SetReadDeadline(deadline); err != nil {
			return c.rest(), err
		}
		stop := watch(ctx, func() { c.c.SetReadDeadline(time.Unix(1, 0)) })
		n, err := c.c.Read(chunk)
		stop()
		c.buf = append(c.buf, chunk[:n]...)
		switch {
		case errors.Is(err, io.EOF):
			c.eof = true
		case err != nil:
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			return c.rest(), timeoutOr(err)
		}
	}
}

// TrySend writes what it can of b without waiting.
func (c *Conn) TrySend(b []byte) (int, error) {
	select {
	case c.wturn <- struct{}{}:
		defer func() { <-c.wturn }()
	default:
		return 0, nil // a send is under way: queue behind it
	}
	rc, err := c.c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true
	}); err != nil {
		return 0, err
	}
	if errors.Is(werr, syscall.EAGAIN) {
		return 0, nil
	}
	if n < 0 {
		n = 0
	}
	return n, werr
}

// Send writes all of b, waiting as Receive does for room. It returns how
// much was sent, with the error that stopped it.
func (c *Conn) Send(ctx context.Context, b []byte, wait time.Duration) (int, error) {
	if err := takeTurn(ctx, c.wturn); err != nil {
		return 0, err
	}
	defer func() { <-c.wturn }()
	var deadline time.Time
	if wait >= 0 {
		deadline = time.Now().Add(wait)
	}
	if err := c.c.SetWriteDeadline(deadline); err != nil {
		return 0, err
	}
	stop := watch(ctx, func() { c.c.SetWriteDeadline(time.Unix(1, 0)) })
	n, err := c.c.Write(b)
	stop()
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

// takeTurn waits for a turn on ch, or for ctx to end.
func takeTurn(ctx context.Context, ch chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watch runs unblock when ctx ends; the function it returns undoes that
// and reports whether unblock ran (it then has finished).
func watch(ctx context.Context, unblock func()) func() bool {
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	fired := make(chan struct{})
	f := func() {
		unblock()
		close(fired)
	}
	var stop func() bool
	if a, ok := ctx.(afterFuncer); ok {
		stop = a.AfterFunc(f)
	} else {
		stop = context.AfterFunc(ctx, f)
	}
	return func() bool {
		if stop() {
			return false
		}
		<-fired
		return true
	}
}

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
	if err := rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), level, opt) }); err != nil {
		return 0, err
	}
	return v, gerr
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
