package luaapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/pcapng"
	"github.com/sockshell/sockshell/luaapi/procmem"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// tcpStream is the Lua side of a sock.Conn.
type tcpStream struct {
	sockState
	s             *Session // for trace
	conn          *sock.Conn
	local, remote netip.AddrPort
	maxLine       int  // the longest line receive takes; guarded by the baton
	reset         bool // the peer reset the connection; guarded by the baton
}

// defaultMaxLine is how long a line a stream's receive takes unless told,
// as asyncio's and bufio.Scanner's limits: a peer that sends no line end
// cannot fill memory.
const defaultMaxLine = 1 << 16

func (c *tcpStream) Kind() string { return "tcp" }
func (c *tcpStream) Peer() string { return c.remote.String() }

func (c *tcpStream) LocalAddr() netip.AddrPort { return c.local }

// String is what tostring shows: kind, both ends, and whether closed.
func (c *tcpStream) String() string {
	return fmt.Sprintf("tcp{%s -> %s%s}", c.local, c.remote, c.Suffix())
}

func (c *tcpStream) setOption(a bind.Args, name string, v lua.LValue) error {
	switch name {
	case "nodelay":
		return c.conn.SetNoDelay(boolArg(a, name, v))
	case "keepalive":
		return c.conn.SetKeepAlive(boolArg(a, name, v))
	case "rcvbuf":
		return c.conn.SetReadBuffer(bufferSize(a, name, v))
	case "sndbuf":
		return c.conn.SetWriteBuffer(bufferSize(a, name, v))
	case "maxline":
		c.maxLine = a.IntIn(3, v, name, 0, 1<<30)
		return nil
	}
	return errOptionKind{name, "tcp"}
}

func (c *tcpStream) option(name string) (lua.LValue, error) {
	switch optionNames[name] {
	case "broadcast", "coalesce":
		return nil, errOptionKind{name, "tcp"}
	case "maxline":
		return lua.LNumber(c.maxLine), nil
	}
	return readOption(c.conn.Option, name)
}

// tcpListener is the Lua side of a sock.Listener.
type tcpListener struct {
	sockState
	l    *sock.Listener
	addr netip.AddrPort
}

func (l *tcpListener) Kind() string { return "tcp-listen" }
func (l *tcpListener) Peer() string { return "" }

func (l *tcpListener) LocalAddr() netip.AddrPort { return l.addr }

// String is what tostring shows.
func (l *tcpListener) String() string { return fmt.Sprintf("tcp-listen{%s%s}", l.addr, l.Suffix()) }

func (l *tcpListener) setOption(a bind.Args, name string, v lua.LValue) error {
	return errOptionKind{name, "listening"}
}

func (l *tcpListener) option(name string) (lua.LValue, error) {
	return nil, errOptionKind{name, "listening"}
}

func checkStream(a bind.Args, n int) *tcpStream {
	return bind.CheckUserdata[*tcpStream](a, n, "tcp stream", describeSock)
}

func checkListener(a bind.Args, n int) *tcpListener {
	return bind.CheckUserdata[*tcpListener](a, n, "tcp listener", describeSock)
}

// newStream registers a connection and makes its object; accepted says
// which end it is, for trace.
func (s *Session) newStream(L *lua.LState, c *sock.Conn, accepted bool) *lua.LUserData {
	local, remote := c.LocalAddr(), c.RemoteAddr()
	st := &tcpStream{s: s, conn: c, local: local, remote: remote, maxLine: defaultMaxLine, sockState: newSockState(c)}
	c.Trace = func(in bool, b []byte) {
		if in {
			st.Received(len(b)) // what came off the network, as LuaSocket's streams count
		}
		s.packet(nil, true, in, local, remote, b) // without the baton: no Lua
	}
	if accepted {
		s.tcpEvent(pcapng.Open, remote, local, local, "accept")
	} else {
		s.tcpEvent(pcapng.Open, local, remote, local, "connect")
	}
	return s.newSocket(L, st, streamClass)
}

// Shutdown closes the stream, which trace shows.
func (c *tcpStream) Shutdown() bool {
	if !c.sockState.Shutdown() {
		return false
	}
	c.s.tcpEvent(pcapng.Close, c.local, c.remote, c.local, "close")
	return true
}

var tcpFuncs = []libFunc{
	{&bind.Doc{
		Name:    "connect",
		Forms:   []string{"connect(host, port [, timeout])"},
		Summary: "Opens a TCP connection to `host:port`.",
		Args: []bind.Arg{
			{Name: "host", Meaning: "an IPv4 or IPv6 address, or a name (IPv4 first)"},
			{Name: "port", Meaning: "1-65535"},
			{Name: "timeout", Meaning: "seconds to wait for the connection (default: the system's limit)"},
		},
		Returns: "a stream, shown as `tcp{127.0.0.1:40000 -> 127.0.0.1:8080}`.",
		Errors:  "A bad argument raises. `nil, message` when the connection fails: `\"connection refused: 127.0.0.1:9 (nothing listens there)\"`, `\"timeout\"`, or the name could not be resolved.",
		Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
c:send("hello\n")
print(peer:receive())  --> hello
c:close() peer:close() l:close()`,
	}, (*Session).lConnect},
}

var streamMethods = []libFunc{
	{&bind.Doc{
		Name:    "tcp:send",
		Forms:   []string{"c:send(data [, timeout])"},
		Summary: "Sends all of `data`, waiting for room as long as the timeout allows.",
		Args: []bind.Arg{
			{Name: "data", Meaning: "the bytes to send (numbers are converted)"},
			{Name: "timeout", Meaning: "seconds to wait for room (default: the socket's); 0 sends what fits now and waits for nothing"},
		},
		Returns: "the number of bytes sent: all of them.",
		Errors:  "`nil, message, sent` when it could not send everything: `\"timeout\"`, `\"closed\"`, `\"connection reset: …\"`; `sent` is how much went.",
		Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
print(c:send("ping\n"))  --> 5
c:close() l:close()`,
	}, method("send", checkStream, (*tcpStream).send)},
	{&bind.Doc{
		Name:    "tcp:receive",
		Forms:   []string{"c:receive([pattern [, timeout]])"},
		Summary: "Reads from the stream, as LuaSocket's `receive` does.",
		Args: []bind.Arg{
			{Name: "pattern", Meaning: "`\"*l\"` (the default): a line, without its end of line (LF, or CR LF); `\"*a\"`: everything until the peer closes; a number: exactly that many bytes"},
			{Name: "timeout", Meaning: "seconds to wait (default: the socket's)"},
		},
		Returns: "the data.",
		Errors:  "`nil, err, partial` when it cannot complete: `err` is `\"timeout\"`, `\"closed\"` (the peer closed first), `\"line too long\"` (no line end within the stream's `maxline` bytes, 65536 unless `c:setoption(\"maxline\", n)` says otherwise) or another failure, and `partial` holds what was read, so nothing is lost. A bad pattern raises.",
		Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
c:send("one\r\ntwo\nthree")
print(peer:receive())         --> one
print(peer:receive("*l"))     --> two
print(peer:receive(3))        --> thr
print(peer:receive("*l", 0.05)) --> nil  timeout  ee
c:close()
-- the peer closed: what was left, nothing
print(peer:receive("*a"))     -->
peer:close() l:close()`,
	}, method("receive", checkStream, (*tcpStream).receive)},
	{&bind.Doc{
		Name:    "tcp:getpeername",
		Forms:   []string{"c:getpeername()"},
		Summary: "Tells the address of the other end.",
		Returns: "`ip, port`.",
		Errors:  "`nil, \"closed\"` on a closed stream.",
		Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
print(c:getpeername())  --> 127.0.0.1  <the listener's port>
c:close() l:close()`,
	}, method("getpeername", checkStream, (*tcpStream).getpeername)},
	{&bind.Doc{
		Name:    "tcp:shutdown",
		Forms:   []string{"c:shutdown([how])"},
		Summary: "Shuts down one or both directions: after `shutdown(\"send\")` the peer reads the end of the stream, and this side can still receive.",
		Args:    []bind.Arg{{Name: "how", Meaning: "`\"send\"`, `\"receive\"` or `\"both\"` (the default)"}},
		Returns: "true.",
		Errors:  "A bad `how` raises; `nil, message` if the system refuses.",
		Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
c:send("all of it")
c:shutdown("send")
print(peer:receive("*a"))  --> all of it
c:close() peer:close() l:close()`,
	}, method("shutdown", checkStream, (*tcpStream).shutdownLua)},
}

var listenerMethods = []libFunc{
	{&bind.Doc{
		Name:    "listener:accept",
		Forms:   []string{"l:accept([timeout])"},
		Summary: "Waits for a connection to the listener.",
		Args:    []bind.Arg{{Name: "timeout", Meaning: "seconds to wait (default: the listener's)"}},
		Returns: "a stream to the client.",
		Errors:  "`nil, \"timeout\"`, `nil, \"closed\"`.",
		Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
print(l:accept(0.01))  --> nil  timeout
local c = connect("127.0.0.1", select(2, l:getsockname()))
print(l:accept())      --> tcp{127.0.0.1:<port> -> 127.0.0.1:<c's port>}
c:close() l:close()`,
	}, method("accept", checkListener, (*tcpListener).accept)},
}

func (s *Session) lConnect(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "connect"}
	host := a.Name(1, L.Get(1), "host")
	port := a.IntIn(2, L.Get(2), "port", 1, 65535)
	s.netDenied(L, "connecting to", host, port)
	wait := sock.Forever
	if secs, ok := a.Seconds(3, L.Get(3), "timeout"); ok {
		wait = duration(secs)
	}
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	c, err := s.waitStream(L, ctx, func() (*sock.Conn, error) { return sock.Dial(ctx, host, port, wait) },
		func(c *sock.Conn) { c.Close() }) // nothing was read from it: nothing is lost
	if err != nil {
		return bind.Fail(L, bind.Failure(err, net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))))
	}
	L.Push(s.newStream(L, c, false))
	return 1
}

// waitStream waits, as every blocking call does, for open to give a
// connection; undo gives it back when the caller is stopped before it
// can use it.
func (s *Session) waitStream(L *lua.LState, ctx context.Context, open func() (*sock.Conn, error), undo func(*sock.Conn)) (*sock.Conn, error) {
	var (
		c   *sock.Conn
		err error
	)
	s.block(L, func() func() {
		err = s.opening(func() (err error) {
			c, err = open()
			return err
		})
		if err != nil {
			return nil
		}
		return func() { undo(c) }
	})
	raiseIfDone(L, ctx)
	return c, err
}

// accept is l:accept([timeout]).
func (l *tcpListener) accept(s *Session, a bind.Args) int {
	L := a.L
	wait := optWait(a, 2, l)
	if l.Closed() {
		return bind.Fail(L, "closed")
	}
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	c, err := s.waitStream(L, ctx, func() (*sock.Conn, error) { return l.l.Accept(ctx, wait) },
		l.l.Unaccept) // for the next accept
	if err != nil {
		return bind.Fail(L, bind.Failure(err, l.addr.String()))
	}
	l.Received(0)
	L.Push(s.newStream(L, c, true))
	return 1
}

// pattern reads receive's pattern argument.
func pattern(a bind.Args, n int) sock.Pattern {
	switch v := a.L.Get(n).(type) {
	case *lua.LNilType:
		return sock.Pattern{Line: true}
	case lua.LString:
		switch strings.TrimPrefix(string(v), "*") {
		case "l":
			return sock.Pattern{Line: true}
		case "a":
			return sock.Pattern{All: true}
		}
	case lua.LNumber:
		return sock.Pattern{N: a.IntIn(n, v, "pattern", 0, 1<<30)}
	}
	a.Raise(n, "pattern must be \"*l\", \"*a\" or a number of bytes, got %s", bind.Describe(a.L.Get(n)))
	return sock.Pattern{}
}

// receive is c:receive([pattern [, timeout]]).
func (c *tcpStream) receive(s *Session, a bind.Args) int {
	L := a.L
	p := pattern(a, 2)
	p.Max = c.maxLine
	p.Grow = func(size int) error { return procmem.Check(int64(size)) } // what the buffer's growth takes
	wait := optWait(a, 3, c)
	if c.Closed() {
		return bind.Fail(L, "closed")
	}
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	data, ok := c.conn.TryReceive(p)
	var err error
	if !ok {
		s.block(L, func() func() {
			var undo func() // for the next receive: nothing read is lost
			data, undo, err = c.conn.ReceiveUndoable(ctx, p, wait)
			return undo
		})
		raiseIfDone(L, ctx)
	}
	s.flushTrace(L)                          // what the read traced, decoded now that Lua may run
	if errors.Is(err, procmem.ErrNoMemory) { // what was read stays for the next receive
		L.Error(lua.LString(err.Error()), 0)
	}
	if errors.Is(err, io.EOF) {
		s.tcpEvent(pcapng.Close, c.remote, c.local, c.local, "peer closed")
	}
	if err != nil {
		return c.failed(L, err, lua.LString(data))
	}
	L.Push(lua.LString(data))
	return 1
}

// failed pushes a stream call's failure: nil, the message, and what the
// call did get done (the bytes read, or how many were sent). A reset is
// remembered: what fails after it on the stream fails because of it.
func (c *tcpStream) failed(L *lua.LState, err error, partial lua.LValue) int {
	if errors.Is(err, syscall.ECONNRESET) {
		c.reset = true
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(streamFailure(err, c)))
	L.Push(partial)
	return 3
}

// streamFailure is the message for a stream's failed read or write: the
// peer's end of the stream reads as "closed", as in LuaSocket, unless
// the stream was reset.
func streamFailure(err error, c *tcpStream) string {
	const reset = "connection reset: the peer aborted the connection (it closed with data unread, or its host went away)"
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return reset
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE):
		if c.reset {
			return reset
		}
		return "closed"
	case errors.Is(err, sock.ErrLineTooLong):
		return "line too long"
	}
	return bind.Failure(err, c.remote.String())
}

// send is c:send(data).
func (c *tcpStream) send(s *Session, a bind.Args) int {
	L := a.L
	data := []byte(a.Str(2, L.Get(2), "data"))
	if c.Closed() {
		return bind.Fail(L, "closed")
	}
	wait := optWait(a, 3, c)
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	sent, err := c.conn.TrySend(data)
	if err == nil && sent < len(data) {
		if wait == 0 {
			err = sock.ErrTimeout // it sent what fitted, and waits for no more
		} else {
			// Its place among the stream's sends is taken now, under the
			// baton: sends go out in the order they were made.
			ticket := c.conn.QueueSend()
			var n int
			s.block(L, func() func() { n, err = c.conn.Send(ctx, ticket, data[sent:], wait); return nil })
			sent += n
		}
	}
	c.Sent(sent)
	s.flushTrace(L)
	if err != nil {
		raiseIfDone(L, ctx)
		return c.failed(L, err, lua.LNumber(sent))
	}
	L.Push(lua.LNumber(sent))
	return 1
}

// getpeername is c:getpeername().
func (c *tcpStream) getpeername(s *Session, a bind.Args) int {
	L := a.L
	if c.Closed() {
		return bind.Fail(L, "closed")
	}
	return pushAddr(L, c.remote)
}

// shutdown is c:shutdown([how]); close is the socket's.
func (c *tcpStream) shutdownLua(s *Session, a bind.Args) int {
	L := a.L
	how := "both"
	if L.Get(2) != lua.LNil {
		how = a.Name(2, L.Get(2), "how")
	}
	switch how {
	case "send", "receive", "both":
	default:
		a.Raise(2, "how must be \"send\", \"receive\" or \"both\", got %s", bind.Describe(L.Get(2)))
	}
	if c.Closed() {
		return bind.Fail(L, "closed")
	}
	var err error
	if how != "receive" {
		err = c.conn.CloseWrite()
	}
	if err == nil && how != "send" {
		err = c.conn.CloseRead()
	}
	if err != nil {
		return bind.Fail(L, bind.Failure(err, c.remote.String()))
	}
	if how != "receive" {
		s.tcpEvent(pcapng.Close, c.local, c.remote, c.local, "shutdown") // the FIN
	}
	L.Push(lua.LTrue)
	return 1
}
