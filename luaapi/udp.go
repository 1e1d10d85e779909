package luaapi

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// maxBufsize is the largest recvfrom buffer: a whole UDP datagram.
const maxBufsize = 65535

// udpSocket is the Lua side of a sock.UDPConn.
type udpSocket struct {
	sockState
	conn *sock.UDPConn
	addr netip.AddrPort // bound address, kept for tostring after close
	msg  sock.Message   // the buffer of reads that keep the baton; used under it
	// The last sender's address and port as Lua values: a conversation's
	// datagrams come from one address, whose text (and the port's boxed
	// number) is then made once. Under the baton.
	lastFrom    netip.Addr
	lastText    lua.LValue
	lastPortNum uint16
	lastPort    lua.LValue
	// The last address sendto parsed from text, and the text: a sender
	// sends to one address over and over. Under the baton.
	lastHost string
	lastDst  netip.Addr
	// The last count sendto returned, boxed once likewise.
	lastSentNum int
	lastSent    lua.LValue
	// waits counts the reads in a row that found no datagram there and
	// waited for one. After two, a read goes straight to waiting, without
	// a first look (a system call that would most likely find nothing
	// too): a request and reply exchange waits for every datagram, while
	// a stream's come in bursts, most of them there already. Under the
	// baton.
	waits int
}

func (u *udpSocket) Kind() string { return "udp" }
func (u *udpSocket) Peer() string { return "" }

func (u *udpSocket) LocalAddr() netip.AddrPort { return u.addr }

// String is what tostring shows: kind, bound address, and whether closed.
func (u *udpSocket) String() string { return fmt.Sprintf("udp{%s%s}", u.addr, u.Suffix()) }

func (u *udpSocket) setOption(a bind.Args, name string, v lua.LValue) error {
	switch name {
	case "rcvbuf":
		return u.conn.SetReadBuffer(bufferSize(a, name, v))
	case "sndbuf":
		return u.conn.SetWriteBuffer(bufferSize(a, name, v))
	case "coalesce":
		secs, ok := bind.ToNumber(v)
		if !ok || !(secs >= 0 && secs <= sock.MaxCoalesce.Seconds()) {
			a.Raise(3, "coalesce must be seconds from 0 to %g, got %s", sock.MaxCoalesce.Seconds(), bind.Describe(v))
		}
		u.conn.SetCoalesce(time.Duration(secs * float64(time.Second)))
		return nil
	}
	return errOptionKind{name, "udp"}
}

func (u *udpSocket) option(name string) (lua.LValue, error) {
	switch optionNames[name] {
	case "nodelay", "keepalive", "maxline":
		return nil, errOptionKind{name, "udp"}
	case "coalesce":
		return lua.LNumber(u.conn.Coalesce().Seconds()), nil
	}
	return readOption(u.conn.Option, name)
}

// checkUDP returns argument n as a UDP socket, or raises.
func checkUDP(a bind.Args, n int) *udpSocket {
	return bind.CheckUserdata[*udpSocket](a, n, "udp socket", describeSock)
}

var udpFuncs = []libFunc{
	{&bind.Doc{
		Name:    "recvfrom",
		Forms:   []string{"recvfrom(sock [, bufsize [, timeout]])", "sock:recvfrom([bufsize [, timeout]])"},
		Summary: "Waits for one datagram and returns it with its sender's address.",
		Args: []bind.Arg{
			{Name: "sock", Meaning: "a socket from `listen`"},
			{Name: "bufsize", Meaning: "the most bytes to take, 1-65535 (default 65535: any datagram)"},
			{Name: "timeout", Meaning: "seconds to wait (default: the socket's, see `settimeout`; initially forever); 0 takes only a datagram already queued"},
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
	{&bind.Doc{
		Name:    "sendto",
		Forms:   []string{"sendto(data, host, port)", "sendto(sock, data, host, port)", "sock:sendto(data, host, port)"},
		Summary: "Sends `data` as one datagram to `host:port`. Without a socket it sends from a fresh one on a free port, as the chapter's sender does; from a socket, replies come back to that socket.",
		Args: []bind.Arg{
			{Name: "sock", Meaning: "optional: the socket to send from"},
			{Name: "data", Meaning: "the bytes to send (a string; numbers are converted)"},
			{Name: "host", Meaning: "an IPv4 or IPv6 address, or a name (IPv4 first, as the chapter's AF_INET); a broadcast address such as `127.255.255.255` works as is"},
			{Name: "port", Meaning: "1-65535"},
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

func (s *Session) lRecvfrom(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "recvfrom"}
	return checkUDP(a, 1).recvfrom(s, a)
}

// recvfrom is recvfrom(u, ...) and u:recvfrom(...).
func (u *udpSocket) recvfrom(s *Session, a bind.Args) int {
	L := a.L
	size := maxBufsize
	if v := L.Get(2); !bind.IsNil(v) {
		size = a.IntIn(2, v, "bufsize", 1, maxBufsize)
	}
	wait := optWait(a, 3, u)
	if u.Closed() {
		return bind.Fail(L, "closed")
	}
	ctx := bind.Context(L)
	if s.sched.alone() {
		// Nobody else has Lua code to run: wait holding the baton, into
		// the socket's own buffer, until a datagram comes or somebody
		// asks for the baton. A read that ends with the chunk's context
		// (which it looks at first) raises; one that got its datagram
		// returns it, the Lua code after it stopping as any would.
		m := u.buffer(size)
		waitingAlone()
		left, err := u.conn.ReadFromHolding(ctx, m, wait, s.sched.wanted)
		if err == nil {
			return s.pushDatagram(L, u, m, nil)
		}
		if err != sock.ErrGiveWay {
			raiseIfDone(L, ctx)
			return s.pushDatagram(L, u, m, err)
		}
		wait = left
	}
	raiseIfDone(L, ctx)
	if u.waits < 2 || wait == 0 {
		// A datagram already there is taken at once, without giving up
		// the baton.
		m := u.buffer(size)
		err := u.conn.Poll(m)
		if err == nil || wait == 0 || !errors.Is(err, sock.ErrTimeout) {
			u.waits = 0
			return s.pushDatagram(L, u, m, err)
		}
	}
	// A read that waits has a buffer of its own (other tasks may use the
	// socket's meanwhile, and a cancelled read's datagram is given back
	// from it by whoever cancelled it), taken only once a datagram has come.
	w := &sock.Message{Size: size}
	defer w.Release()
	var err error
	s.sched.blockWaking(L, u.conn.Wake, func() func() {
		if err = u.conn.ReadFrom(ctx, w, wait); err != nil {
			return nil
		}
		return func() { u.conn.Unread(w) } // for the next reader: nothing read is lost
	})
	raiseIfDone(L, ctx)
	if err == nil && w.Waited {
		u.waits++
	} else {
		u.waits = 0
	}
	return s.pushDatagram(L, u, w, err)
}

// waitingAlone is called as a read begins that keeps the baton; tests
// set it to know when.
var waitingAlone = func() {}

// buffer is the socket's own message, for a read that need not give the
// baton up, with a buffer of size bytes.
func (u *udpSocket) buffer(size int) *sock.Message {
	m := &u.msg
	if cap(m.Buf) < size {
		m.Buf = make([]byte, maxBufsize)
	}
	m.Buf = m.Buf[:size]
	return m
}

// pushDatagram pushes recvfrom's results for a read into m that ended
// with err.
func (s *Session) pushDatagram(L *lua.LState, u *udpSocket, m *sock.Message, err error) int {
	if err != nil {
		return bind.Fail(L, bind.Failure(err, u.addr.String()))
	}
	u.Received(m.N)
	s.packet(L, false, true, u.addr, m.Addr, m.Buf[:m.N])
	L.Push(lua.LStringBytes(m.Buf[:m.N]))
	if from := m.Addr.Addr(); from != u.lastFrom || u.lastText == nil {
		u.lastFrom, u.lastText = from, lua.LString(from.String())
	}
	L.Push(u.lastText)
	if port := m.Addr.Port(); port != u.lastPortNum || u.lastPort == nil {
		u.lastPortNum, u.lastPort = port, lua.LNumber(port)
	}
	L.Push(u.lastPort)
	if m.Truncated {
		L.Push(lua.LTrue)
		return 4
	}
	return 3
}

func (s *Session) lSendto(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "sendto"}
	if _, ok := L.Get(1).(*lua.LUserData); ok {
		return s.sendto(a, checkUDP(a, 1), 2)
	}
	return s.sendto(a, nil, 1)
}

// sendto is u:sendto(data, host, port).
func (u *udpSocket) sendto(s *Session, a bind.Args) int { return s.sendto(a, u, 2) }

// sendto sends argument n as data to arguments n+1 (host) and n+2 (port),
// from u, or from a fresh socket when u is nil.
func (s *Session) sendto(a bind.Args, u *udpSocket, n int) int {
	L := a.L
	data := a.Str(n, L.Get(n), "data")
	host := a.Name(n+1, L.Get(n+1), "host")
	port := a.IntIn(n+2, L.Get(n+2), "port", 1, 65535)
	s.netDenied(L, "sending to", host, port)
	if u != nil && u.Closed() {
		return bind.Fail(L, "closed")
	}
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	var (
		dst    netip.AddrPort
		err    error
		sent   int
		from   netip.AddrPort
		addr   netip.Addr
		parsed bool
	)
	if u != nil && u.lastText != nil && host == string(u.lastText.(lua.LString)) {
		// A reply to the last sender, by the text recvfrom gave for it.
		addr, parsed = u.lastFrom, true
	} else if u != nil && u.lastHost != "" && host == u.lastHost {
		addr, parsed = u.lastDst, true
	} else if addr, parsed = sock.ParseAddr(host); parsed && u != nil {
		u.lastHost, u.lastDst = host, addr
	}
	if parsed {
		dst = netip.AddrPortFrom(addr, uint16(port))
	} else {
		// A name may take the resolver a while: wait for it as for any I/O.
		s.block(L, func() func() {
			dst, err = sock.Resolve(ctx, host, port, u != nil && u.conn.IPv6())
			return nil
		})
		raiseIfDone(L, ctx)
	}
	if err == nil {
		// The kernel only reads the bytes: no copy of the string.
		b := unsafe.Slice(unsafe.StringData(data), len(data))
		if u != nil {
			from = u.addr
			sent, err = u.conn.WriteTo(b, dst)
		} else {
			err = s.opening(func() (err error) {
				sent, from, err = sock.SendTo(ctx, b, dst)
				return err
			})
		}
	}
	if err != nil {
		target := net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
		if dst.IsValid() {
			target = dst.String()
		}
		return bind.Fail(L, bind.Failure(err, target))
	}
	if s.tracing() {
		s.packet(L, false, false, from, dst, []byte(data))
	}
	if u == nil {
		L.Push(lua.LNumber(sent))
		return 1
	}
	u.Sent(sent)
	if sent != u.lastSentNum || u.lastSent == nil {
		u.lastSentNum, u.lastSent = sent, lua.LNumber(sent)
	}
	L.Push(u.lastSent)
	return 1
}

var udpMethods = []libFunc{
	{&bind.Doc{
		Name:    "udp:recvfrom",
		Forms:   []string{"sock:recvfrom([bufsize [, timeout]])"},
		Summary: "`recvfrom` as a method: waits for one datagram on this socket.",
		Args: []bind.Arg{
			{Name: "bufsize", Meaning: "the most bytes to take, 1-65535 (default 65535)"},
			{Name: "timeout", Meaning: "seconds to wait (default: the socket's); 0 takes only a datagram already queued"},
		},
		Returns: "`data, ip, port`, and `true` as a 4th result when the datagram was cut to `bufsize`.",
		Errors:  "`nil, \"timeout\"`, `nil, \"closed\"`; a bad argument raises, e.g. `bad argument #1 to 'recvfrom' (bufsize must be 1-65535, got 0)`.",
		Example: `local s = listen(0, "127.0.0.1")
print(s:recvfrom(512, 0))  --> nil  timeout
s:close()`,
	}, method("recvfrom", checkUDP, (*udpSocket).recvfrom)},
	{&bind.Doc{
		Name:    "udp:sendto",
		Forms:   []string{"sock:sendto(data, host, port)"},
		Summary: "`sendto` from this socket, so that replies come back to it.",
		Args: []bind.Arg{
			{Name: "data", Meaning: "the bytes to send"},
			{Name: "host", Meaning: "an address or a name; of a name's addresses, one of the socket's family first"},
			{Name: "port", Meaning: "1-65535"},
		},
		Returns: "the number of bytes sent.",
		Errors:  "As `sendto`; an IPv4 socket cannot reach an IPv6 address (`listen(0, \"::\")` makes a socket for both).",
		Example: `local a, b = listen(0, "127.0.0.1"), listen(0, "127.0.0.1")
a:sendto("hi", b:getsockname())
print(b:recvfrom())  --> hi  127.0.0.1  <a's port>
a:close() b:close()`,
	}, method("sendto", checkUDP, (*udpSocket).sendto)},
	{&bind.Doc{
		Name:    "udp:join",
		Forms:   []string{"sock:join(group [, iface])"},
		Summary: "Joins a multicast group: datagrams sent to the group's address and the socket's port reach the socket.",
		Args: []bind.Arg{
			{Name: "group", Meaning: "a multicast address, e.g. `\"239.1.2.3\"` or `\"ff02::1:3\"`"},
			{Name: "iface", Meaning: "the interface's name, e.g. `\"eth0\"` (default: the system's choice)"},
		},
		Returns: "true.",
		Errors:  "A group that is not a multicast address raises, and under `--safe` a group `--allow-net` does not name; `nil, message` when the system refuses (an unknown interface; no multicast route, where the message says to name the interface).",
		Example: `local s = listen{port = 0, reuseaddr = true}
print(s:join("239.1.2.3", "lo"))  --> true
print(s:leave("239.1.2.3", "lo"))  --> true
s:close()`,
	}, method("join", checkUDP, (*udpSocket).join)},
	{&bind.Doc{
		Name:    "udp:leave",
		Forms:   []string{"sock:leave(group [, iface])"},
		Summary: "Leaves a multicast group joined with `join`.",
		Args: []bind.Arg{
			{Name: "group", Meaning: "the group's address"},
			{Name: "iface", Meaning: "the interface given to `join`"},
		},
		Returns: "true.",
		Errors:  "As `join`.",
		Example: `local s = listen(0)
s:join("239.1.2.3")
print(s:leave("239.1.2.3"))  --> true
s:close()`,
	}, method("leave", checkUDP, (*udpSocket).leave)},
}

func (u *udpSocket) join(s *Session, a bind.Args) int {
	// Joining a group receives what is sent to it: --allow-net's.
	s.netDenied(a.L, "joining", a.Name(2, a.L.Get(2), "group"), 0)
	return u.membership(a, true)
}
func (u *udpSocket) leave(s *Session, a bind.Args) int { return u.membership(a, false) }

func (u *udpSocket) membership(a bind.Args, join bool) int {
	L := a.L
	text := a.Name(2, L.Get(2), "group")
	group, ok := sock.ParseAddr(text)
	if !ok || !group.IsMulticast() {
		a.Raise(2, "group must be a multicast address, got %s", bind.Describe(L.Get(2)))
	}
	iface := ""
	if L.Get(3) != lua.LNil {
		iface = a.Name(3, L.Get(3), "iface")
	}
	if u.Closed() {
		return bind.Fail(L, "closed")
	}
	var err error
	if join {
		err = u.conn.Join(group, iface)
	} else {
		err = u.conn.Leave(group, iface)
	}
	if err != nil {
		target := text
		if iface != "" {
			target += " on " + iface
		}
		// Without a multicast route the system finds no interface for
		// the group (ENODEV), on leaving as on joining.
		noRoute := errors.Is(err, syscall.ENODEV) && iface == ""
		if !join && (errors.Is(err, syscall.EADDRNOTAVAIL) || noRoute) {
			return bind.Fail(L, fmt.Sprintf("not a member of %s (s:join(group) first)", target))
		}
		if noRoute {
			return bind.Fail(L, fmt.Sprintf("no route for multicast group %s: name the interface, s:join(group, iface) (hostinfo() lists them), or add a route (ip route add 224.0.0.0/4 dev IFACE)", target))
		}
		return bind.Fail(L, bind.Failure(err, target))
	}
	L.Push(lua.LTrue)
	return 1
}
