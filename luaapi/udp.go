package luaapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/sock"
)

// socketClass is the metatable name of UDP sockets.
const socketClass = "sockshell.udp"

// maxBufsize is the largest recvfrom buffer: a whole UDP datagram.
const maxBufsize = 65535

// udpSocket is the Lua side of a sock.UDPConn.
type udpSocket struct {
	conn    *sock.UDPConn
	addr    netip.AddrPort // bound address, kept for tostring after close
	timeout time.Duration  // default wait of recvfrom; sock.Forever for none
	closed  bool
	msg     sock.Message // the buffer of reads that need not wait
	// waiting counts reads under way on other goroutines; while one is,
	// a read does not try the socket first (it would queue behind it).
	waiting atomic.Int32
}

func (u *udpSocket) close(s *Session) {
	if !u.closed {
		u.closed = true
		u.conn.Close()
		delete(s.sockets, u)
	}
}

// String is what tostring shows: kind, bound address, and whether closed.
func (u *udpSocket) String() string {
	state := ""
	if u.closed {
		state = ", closed"
	}
	return fmt.Sprintf("udp{%s%s}", u.addr, state)
}

var udpFuncs = []libFunc{
	{&Doc{
		Name:    "listen",
		Forms:   []string{"listen(port [, host])", "listen{port=, host=}"},
		Summary: "Binds a UDP socket to `host:port`, as the chapter's `s.bind(('', 5000))` does.",
		Args: []Arg{
			{"port", "0-65535; 0 picks a free port (`s:getsockname()` tells which)"},
			{"host", "the local address: default `\"0.0.0.0\"`, every IPv4 interface (`\"\"` and `\"*\"` too); `\"::\"` every interface, IPv6 and IPv4; an address such as `\"127.0.0.1\"` or `\"::1\"`; or a name"},
		},
		Returns: "a socket, shown as `udp{0.0.0.0:5000}`. The session closes it when it ends.",
		Errors:  "A bad port or host raises, e.g. `bad argument #1 to 'listen' (port must be 0-65535, got 70000)`. A port in use returns `nil, \"address already in use: udp port 5000 (another program holds it; listen(0) picks a free port)\"`.",
		Example: `local s = listen(0, "127.0.0.1")
print(s:getsockname())
s:close()`,
	}, (*Session).lListen},
	{&Doc{
		Name:    "recvfrom",
		Forms:   []string{"recvfrom(sock [, bufsize [, timeout]])", "sock:recvfrom([bufsize [, timeout]])"},
		Summary: "Waits for one datagram and returns it with its sender's address.",
		Args: []Arg{
			{"sock", "a socket from `listen`"},
			{"bufsize", "the most bytes to take, 1-65535 (default 65535: any datagram)"},
			{"timeout", "seconds to wait (default: the socket's, see `settimeout`; initially forever); 0 takes only a datagram already queued"},
		},
		Returns: "`data, ip, port` — the bytes (any byte, NUL included), the sender's IP address and port. When the datagram was longer than `bufsize` a 4th result `true` says it was cut.",
		Errors:  "`nil, \"timeout\"` when the wait passes; `nil, \"closed\"` on a closed socket. A bad argument raises. Ctrl-C stops the wait.",
		Example: `local s = listen(0, "127.0.0.1")
local ip, port = s:getsockname()
sendto("hello", ip, port)
print(recvfrom(s))           --> hello  127.0.0.1  <sender's port>
print(recvfrom(s, 1024, 0.1)) --> nil  timeout
s:close()`,
	}, (*Session).lRecvfrom},
	{&Doc{
		Name:    "sendto",
		Forms:   []string{"sendto(data, host, port)", "sendto(sock, data, host, port)", "sock:sendto(data, host, port)"},
		Summary: "Sends `data` as one datagram to `host:port`. Without a socket it sends from a fresh one on a free port, as the chapter's sender does; from a socket, replies come back to that socket.",
		Args: []Arg{
			{"sock", "optional: the socket to send from"},
			{"data", "the bytes to send (a string; numbers are converted)"},
			{"host", "an IPv4 or IPv6 address, or a name (IPv4 first, as the chapter's AF_INET); a broadcast address such as `127.255.255.255` works as is"},
			{"port", "1-65535"},
		},
		Returns: "the number of bytes sent.",
		Errors:  "A bad argument raises (port 0 included). An unknown host returns `nil, \"cannot resolve \\\"name\\\": no such host (…)\"`; a datagram over the limit `nil, \"datagram too large: 70000 bytes, the IPv4 limit is 65507 (…)\"`. UDP does not report whether anything received it.",
		Example: `local s = listen(0, "127.0.0.1")
local ip, port = s:getsockname()
print(sendto("ping", ip, port))  --> 4
local data, from, fromport = s:recvfrom()
s:sendto("pong", from, fromport) -- reply to the sender
s:close()`,
	}, (*Session).lSendto},
}

var socketMethods = []libFunc{
	{&Doc{
		Name:    "socket:settimeout",
		Forms:   []string{"sock:settimeout(seconds)"},
		Summary: "Sets how long `recvfrom` waits when it is given no timeout.",
		Args:    []Arg{{"seconds", "seconds >= 0, or nil to wait forever (the initial setting)"}},
		Returns: "the socket.",
		Errors:  "A negative or non-number timeout raises.",
		Example: `local s = listen(0, "127.0.0.1")
s:settimeout(0.05)
print(s:recvfrom())  --> nil  timeout
s:close()`,
	}, (*Session).mSettimeout},
	{&Doc{
		Name:    "socket:getsockname",
		Forms:   []string{"sock:getsockname()"},
		Summary: "Tells the address the socket is bound to.",
		Returns: "`ip, port`, e.g. `0.0.0.0  5000`; the real port after `listen(0)`.",
		Errors:  "`nil, \"closed\"` on a closed socket.",
		Example: `local s = listen(0)
print(s:getsockname())  --> 0.0.0.0  <a free port>
s:close()`,
	}, (*Session).mGetsockname},
	{&Doc{
		Name:    "socket:close",
		Forms:   []string{"sock:close()"},
		Summary: "Closes the socket and frees its port. Closing again does nothing.",
		Returns: "true.",
		Errors:  "None; a closed socket's other methods return `nil, \"closed\"`.",
		Example: `local s = listen(0, "127.0.0.1")
s:close()
s:close()
print(s, s:recvfrom())  --> udp{127.0.0.1:<port>, closed}  nil  closed`,
	}, (*Session).mClose},
	{&Doc{
		Name:    "socket:recvfrom",
		Forms:   []string{"sock:recvfrom([bufsize [, timeout]])"},
		Summary: "`recvfrom` as a method: waits for one datagram on this socket.",
		Args: []Arg{
			{"bufsize", "the most bytes to take, 1-65535 (default 65535)"},
			{"timeout", "seconds to wait (default: the socket's); 0 takes only a datagram already queued"},
		},
		Returns: "`data, ip, port`, and `true` as a 4th result when the datagram was cut to `bufsize`.",
		Errors:  "`nil, \"timeout\"`, `nil, \"closed\"`; a bad argument raises, e.g. `bad argument #1 to 'recvfrom' (bufsize must be 1-65535, got 0)`.",
		Example: `local s = listen(0, "127.0.0.1")
print(s:recvfrom(512, 0))  --> nil  timeout
s:close()`,
	}, (*Session).mRecvfrom},
	{&Doc{
		Name:    "socket:sendto",
		Forms:   []string{"sock:sendto(data, host, port)"},
		Summary: "`sendto` from this socket, so that replies come back to it.",
		Args: []Arg{
			{"data", "the bytes to send"},
			{"host", "an address or a name; of a name's addresses, one of the socket's family first"},
			{"port", "1-65535"},
		},
		Returns: "the number of bytes sent.",
		Errors:  "As `sendto`; an IPv4 socket cannot reach an IPv6 address (`listen(0, \"::\")` makes a socket for both).",
		Example: `local a, b = listen(0, "127.0.0.1"), listen(0, "127.0.0.1")
a:sendto("hi", b:getsockname())
print(b:recvfrom())  --> hi  127.0.0.1  <a's port>
a:close() b:close()`,
	}, (*Session).mSendto},
}

// openUDP makes the socket metatable.
func (s *Session) openUDP() {
	L := s.L
	mt := L.NewTypeMetatable(socketClass)
	methods := L.NewTable()
	for _, f := range socketMethods {
		fn := f.fn
		lf := L.NewFunction(func(L *lua.LState) int { return fn(s, L) })
		methods.RawSetString(f.doc.Name[len("socket:"):], lf)
		s.docsByFn[lf] = f.doc
	}
	mt.RawSetString("__index", methods)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(checkSocket(args{L: L, fn: "tostring"}, 1).String()))
		return 1
	}))
}

// checkSocket returns argument n as a socket or raises.
func checkSocket(a args, n int) *udpSocket {
	if ud, ok := a.L.Get(n).(*lua.LUserData); ok {
		if u, ok := ud.Value.(*udpSocket); ok {
			return u
		}
	}
	a.raise(n, "socket expected, got %s", describe(a.L.Get(n)))
	return nil
}

// fail returns nil, message.
func fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

func (s *Session) lListen(L *lua.LState) int {
	a := args{L: L, fn: "listen"}
	portV, hostV := L.Get(1), L.Get(2)
	if t, ok := portV.(*lua.LTable); ok {
		opts := a.options(1, t, "port", "host")
		portV, hostV = opts["port"], opts["host"]
		if portV == nil {
			a.raise(1, "port must be a number, got no value")
		}
		if hostV == nil {
			hostV = lua.LNil
		}
	}
	port := a.intIn(1, portV, "port", 0, 65535)
	host := "0.0.0.0"
	if hostV != lua.LNil {
		host = a.name(2, hostV, "host")
	}
	bind := func(ctx context.Context) outcome {
		conn, err := sock.ListenUDP(ctx, host, port, sock.ListenOptions{})
		res := results(func() []lua.LValue {
			if err != nil {
				return []lua.LValue{lua.LNil, lua.LString(failure(err, bindTarget(host, port)))}
			}
			return []lua.LValue{s.newUDPSocket(conn)}
		})
		if err == nil {
			res.unused = func() { conn.Close() }
		}
		return res
	}
	if _, literal := sock.ParseAddr(host); literal || isWildcard(host) {
		return pushPush(L, bind(ctxOf(L)).values())
	}
	return s.wait(L, "listen", bind) // a name to resolve first
}

func isWildcard(host string) bool { return host == "" || host == "*" }

// ctxOf is the context of the thread L: the session's, or its task's.
func ctxOf(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// newUDPSocket registers conn with the session and makes its Lua object.
func (s *Session) newUDPSocket(conn *sock.UDPConn) *lua.LUserData {
	u := &udpSocket{conn: conn, addr: conn.LocalAddr(), timeout: sock.Forever}
	s.sockets[u] = struct{}{}
	ud := s.L.NewUserData()
	ud.Value = u
	ud.Metatable = s.L.GetTypeMetatable(socketClass)
	return ud
}

func bindTarget(host string, port int) string {
	switch host {
	case "", "*", "0.0.0.0":
		return fmt.Sprintf("udp port %d", port)
	}
	return fmt.Sprintf("udp port %d on %s", port, host)
}

func (s *Session) lRecvfrom(L *lua.LState) int { return s.recvfrom(args{L: L, fn: "recvfrom"}) }
func (s *Session) mRecvfrom(L *lua.LState) int {
	return s.recvfrom(args{L: L, fn: "recvfrom", base: 1})
}

func (s *Session) recvfrom(a args) int {
	L := a.L
	u := checkSocket(a, 1)
	size := maxBufsize
	if v := L.Get(2); v != lua.LNil {
		size = a.intIn(2, v, "bufsize", 1, maxBufsize)
	}
	wait := u.timeout
	if secs, ok := a.seconds(3, L.Get(3), "timeout"); ok {
		wait = duration(secs)
	}
	if u.closed {
		return fail(L, "closed")
	}
	// A datagram already queued is taken here, at once.
	if u.waiting.Load() == 0 {
		if cap(u.msg.Buf) < size {
			u.msg.Buf = make([]byte, maxBufsize)
		}
		m := &u.msg
		m.Buf = m.Buf[:size]
		err := u.conn.ReadFrom(context.Background(), m, 0)
		if err == nil || wait == 0 || !errors.Is(err, sock.ErrTimeout) {
			return pushPush(L, datagram(m, err, u.addr))
		}
	}
	u.waiting.Add(1)
	return s.wait(L, "recvfrom", func(ctx context.Context) outcome {
		m := &sock.Message{Buf: make([]byte, size)}
		err := u.conn.ReadFrom(ctx, m, wait)
		u.waiting.Add(-1)
		res := results(func() []lua.LValue { return datagram(m, err, u.addr) })
		if err == nil {
			res.unused = func() { u.conn.Unread(m) }
		}
		return res
	})
}

// datagram is recvfrom's results for a read into m that ended with err.
func datagram(m *sock.Message, err error, local netip.AddrPort) []lua.LValue {
	if err != nil {
		return []lua.LValue{lua.LNil, lua.LString(failure(err, local.String()))}
	}
	vals := []lua.LValue{lua.LString(m.Buf[:m.N]), lua.LString(m.Addr.Addr().String()), lua.LNumber(m.Addr.Port())}
	if m.Truncated {
		vals = append(vals, lua.LTrue)
	}
	return vals
}

// pushPush pushes vals and returns how many there are.
func pushPush(L *lua.LState, vals []lua.LValue) int {
	for _, v := range vals {
		L.Push(v)
	}
	return len(vals)
}

// duration converts seconds to a wait; huge values wait forever.
func duration(secs float64) time.Duration {
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return sock.Forever
	}
	return time.Duration(secs * float64(time.Second))
}

func (s *Session) lSendto(L *lua.LState) int {
	a := args{L: L, fn: "sendto"}
	if _, ok := L.Get(1).(*lua.LUserData); ok {
		return s.sendto(a, checkSocket(a, 1), 2)
	}
	return s.sendto(a, nil, 1)
}

func (s *Session) mSendto(L *lua.LState) int {
	a := args{L: L, fn: "sendto", base: 1}
	return s.sendto(a, checkSocket(a, 1), 2)
}

// sendto sends argument n as data to arguments n+1 (host) and n+2 (port),
// from u, or from a fresh socket when u is nil.
func (s *Session) sendto(a args, u *udpSocket, n int) int {
	L := a.L
	data := a.str(n, L.Get(n), "data")
	host := a.name(n+1, L.Get(n+1), "host")
	port := a.intIn(n+2, L.Get(n+2), "port", 1, 65535)
	if u != nil && u.closed {
		return fail(L, "closed")
	}
	send := func(ctx context.Context) []lua.LValue {
		target := fmt.Sprintf("%s:%d", host, port)
		dst, err := sock.Resolve(ctx, host, port, u != nil && u.conn.IPv6())
		if err == nil {
			target = dst.String()
			var sent int
			if u != nil {
				sent, err = u.conn.WriteTo([]byte(data), dst)
			} else {
				sent, _, err = sock.SendTo(ctx, []byte(data), dst)
			}
			if err == nil {
				return []lua.LValue{lua.LNumber(sent)}
			}
		}
		return []lua.LValue{lua.LNil, lua.LString(failure(err, target))}
	}
	if _, literal := sock.ParseAddr(host); literal {
		return pushPush(L, send(ctxOf(L)))
	}
	// A name may take the resolver a while: wait for it as for any I/O.
	return s.wait(L, "sendto", func(ctx context.Context) outcome {
		vals := send(ctx)
		return results(func() []lua.LValue { return vals })
	})
}

func (s *Session) mSettimeout(L *lua.LState) int {
	a := args{L: L, fn: "settimeout", base: 1}
	u := checkSocket(a, 1)
	u.timeout = sock.Forever
	if secs, ok := a.seconds(2, L.Get(2), "timeout"); ok {
		u.timeout = duration(secs)
	}
	L.Push(L.Get(1))
	return 1
}

func (s *Session) mGetsockname(L *lua.LState) int {
	u := checkSocket(args{L: L, fn: "getsockname", base: 1}, 1)
	if u.closed {
		return fail(L, "closed")
	}
	L.Push(lua.LString(u.addr.Addr().String()))
	L.Push(lua.LNumber(u.addr.Port()))
	return 2
}

func (s *Session) mClose(L *lua.LState) int {
	checkSocket(args{L: L, fn: "close", base: 1}, 1).close(s)
	L.Push(lua.LTrue)
	return 1
}
