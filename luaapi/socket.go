package luaapi

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// Metatable names of the socket objects.
const (
	udpClass      = "sockshell.udp"
	streamClass   = "sockshell.tcp"
	listenerClass = "sockshell.listener"
)

// socket is what every native socket object has, whatever its kind: what
// the session keeps of any socket (its Kind is "udp", "tcp" or
// "tcp-listen"), and the settings its methods change.
type socket interface {
	bind.Socket
	// timeout is the wait of its blocking calls when they are given none.
	timeout() time.Duration
	setTimeout(d time.Duration)
	// setOption sets a socket option; bad values raise through a.
	setOption(a bind.Args, name string, v lua.LValue) error
	// option reads one.
	option(name string) (lua.LValue, error)
}

// optionNames are the names setoption and getoption take, each with the
// name the socket core knows it by.
var optionNames = map[string]string{
	"reuseaddr": "reuseaddr", "nodelay": "nodelay", "tcp-nodelay": "nodelay",
	"keepalive": "keepalive", "rcvbuf": "rcvbuf", "sndbuf": "sndbuf", "broadcast": "broadcast",
	"maxline": "maxline", "coalesce": "coalesce",
}

// boolOptions are read as booleans.
var boolOptions = map[string]bool{"reuseaddr": true, "nodelay": true, "keepalive": true, "broadcast": true}

// readOption reads a core option as a Lua value.
func readOption(get func(string) (int, error), name string) (lua.LValue, error) {
	core, ok := optionNames[name]
	if !ok {
		return nil, fmt.Errorf("unknown option")
	}
	v, err := get(core)
	if err != nil {
		return nil, err
	}
	if boolOptions[core] {
		return lua.LBool(v != 0), nil
	}
	return lua.LNumber(v), nil
}

// bufferSize checks a buffer size option's value.
func bufferSize(a bind.Args, name string, v lua.LValue) int {
	return a.IntIn(3, v, name, 1, 1<<30)
}

// boolArg checks a boolean option's value.
func boolArg(a bind.Args, name string, v lua.LValue) bool {
	b, ok := v.(lua.LBool)
	if !ok {
		a.Raise(3, "%s takes true or false, got %s", name, bind.Describe(v))
	}
	return bool(b)
}

// errOptionKind reports an option this kind of socket does not have.
type errOptionKind struct{ option, kind string }

// Error names the option and the kind of socket.
func (e errOptionKind) Error() string {
	return fmt.Sprintf("a %s socket has no option '%s'", e.kind, e.option)
}

var socketFuncs = []libFunc{
	{&bind.Doc{
		Name:  "listen",
		Forms: []string{"listen(port [, host])", "listen{port=, host=, proto=, reuseaddr=}"},
		Summary: "Binds a UDP socket to `host:port`, as the chapter's `s.bind(('', 5000))` does; " +
			"with `proto=\"tcp\"`, a TCP listener whose `accept` takes connections.",
		Args: []bind.Arg{
			{Name: "port", Meaning: "0-65535; 0 picks a free port (`s:getsockname()` tells which)"},
			{Name: "host", Meaning: "the local address: default `\"0.0.0.0\"`, every IPv4 interface (`\"\"` and `\"*\"` too); `\"::\"` every interface, IPv6 and IPv4; an address such as `\"127.0.0.1\"` or `\"::1\"`; or a name"},
			{Name: "proto", Meaning: "`\"udp\"` (the default) or `\"tcp\"`"},
			{Name: "reuseaddr", Meaning: "true to set SO_REUSEADDR before binding: a TCP port just closed can be bound again, and UDP sockets can share a port (for multicast)"},
		},
		Returns: "a socket, shown as `udp{0.0.0.0:5000}` or `tcp-listen{127.0.0.1:8080}`. `s:close()` closes it; so does the garbage collector once no variable holds it, and the session when it ends. " +
			"A UDP socket's receive buffer is the largest the system lets a program ask for, up to 4 MiB (Linux grants twice what it allows; the kernel's default is 208 KiB): datagrams that come faster than the script reads them wait there instead of being dropped. `s:setoption(\"rcvbuf\", n)` sets another size — a small one shows how UDP drops what a slow receiver cannot take.",
		Errors: "A bad port, host or option raises, e.g. `bad argument #1 to 'listen' (port must be 0-65535, got 70000)`. A port in use returns `nil, \"address already in use: udp port 5000 (another program holds it; listen(0) picks a free port)\"`, or names this session's socket that holds it.",
		Example: `local s = listen(0, "127.0.0.1")
print(s:getsockname())
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
print(l)
s:close() l:close()`,
	}, (*Session).lListen},
}

var socketMethods = []libFunc{
	{&bind.Doc{
		Name:    "socket:settimeout",
		Forms:   []string{"sock:settimeout(seconds)"},
		Summary: "Sets how long the socket's blocking calls (`recvfrom`, `receive`, `send`, `accept`) wait when they are given no timeout.",
		Args:    []bind.Arg{{Name: "seconds", Meaning: "seconds >= 0, or nil to wait forever (the initial setting)"}},
		Returns: "the socket.",
		Errors:  "A negative or non-number timeout raises.",
		Example: `local s = listen(0, "127.0.0.1")
s:settimeout(0.05)
print(s:recvfrom())  --> nil  timeout
s:close()`,
	}, method("settimeout", checkSock, settimeout)},
	{&bind.Doc{
		Name:    "socket:getsockname",
		Forms:   []string{"sock:getsockname()"},
		Summary: "Tells the address the socket is bound to.",
		Returns: "`ip, port`, e.g. `0.0.0.0  5000`; the real port after `listen(0)`.",
		Errors:  "`nil, \"closed\"` on a closed socket.",
		Example: `local s = listen(0)
print(s:getsockname())  --> 0.0.0.0  <a free port>
s:close()`,
	}, method("getsockname", checkSock, getsockname)},
	{&bind.Doc{
		Name:    "socket:close",
		Forms:   []string{"sock:close()"},
		Summary: "Closes the socket and frees its port. Closing again does nothing.",
		Returns: "true.",
		Errors:  "None; a closed socket's other methods return `nil, \"closed\"`.",
		Example: `local s = listen(0, "127.0.0.1")
s:close()
s:close()
print(s, s:recvfrom())  --> udp{127.0.0.1:<port>, closed}  nil  closed`,
	}, method("close", checkSock, closeSock)},
	{&bind.Doc{
		Name:    "socket:setoption",
		Forms:   []string{"sock:setoption(name, value)"},
		Summary: "Sets a socket option.",
		Args: []bind.Arg{
			{Name: "name", Meaning: "`\"nodelay\"` (or `\"tcp-nodelay\"`) and `\"keepalive\"` for TCP streams, true or false; `\"rcvbuf\"` and `\"sndbuf\"`, the kernel's buffer sizes in bytes; `\"maxline\"` for TCP streams, the longest line `receive` takes (default 65536; 0 for no limit); `\"coalesce\"` for UDP sockets, seconds (at most 0.1): while datagrams stream in faster than they are read, a read that finds none there lets them gather that long and takes them in one go — each datagram up to that late, for far less CPU per datagram (default 0: each at once). `\"reuseaddr\"` is set when binding: `listen{…, reuseaddr=true}`"},
			{Name: "value", Meaning: "the option's value"},
		},
		Returns: "true.",
		Errors:  "An unknown option, one this kind of socket lacks or a bad value raises; a closed socket gives `nil, \"closed\"`.",
		Example: `local s = listen(0, "127.0.0.1")
s:setoption("rcvbuf", 1048576)
print(s:getoption("rcvbuf") >= 1048576)  --> true
s:close()`,
	}, method("setoption", checkSock, setoption)},
	{&bind.Doc{
		Name:    "socket:getoption",
		Forms:   []string{"sock:getoption(name)"},
		Summary: "Reads a socket option: those of `setoption`, plus `\"reuseaddr\"` and, for UDP, `\"broadcast\"`.",
		Args:    []bind.Arg{{Name: "name", Meaning: "the option's name"}},
		Returns: "true or false for a flag, a number for a size.",
		Errors:  "An unknown option raises; a closed socket gives `nil, \"closed\"`.",
		Example: `local s = listen(0, "127.0.0.1")
print(s:getoption("broadcast"))  --> true
s:close()`,
	}, method("getoption", checkSock, getoption)},
}

// kinds lists the socket object kinds: their metatables get the common
// methods and their own.
var kinds = []struct {
	class   string
	methods *[]libFunc
}{
	{udpClass, &udpMethods},
	{streamClass, &streamMethods},
	{listenerClass, &listenerMethods},
}

// openSockets makes the socket metatables.
func (s *Session) openSockets() {
	L := s.main
	common := s.methodTable(socketMethods)
	for _, k := range kinds {
		mt := L.NewTypeMetatable(k.class)
		methods := s.methodTable(*k.methods)
		common.ForEach(func(name, fn lua.LValue) { methods.RawSet(name, fn) })
		mt.RawSetString("__index", methods)
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString(checkSock(bind.Args{L: L, Fn: "tostring"}, 1).String()))
			return 1
		}))
	}
}

// methodTable makes a table of methods named after their docs' names
// ("socket:close" is "close").
func (s *Session) methodTable(funcs []libFunc) *lua.LTable {
	t := s.main.NewTable()
	for _, f := range funcs {
		lf := s.bind(f)
		name := f.doc.Name
		for i := range name {
			if name[i] == ':' {
				name = name[i+1:]
				break
			}
		}
		t.RawSetString(name, lf)
		s.docsByFn[lf] = f.doc
	}
	return t
}

// method makes the binding of a method named name: argument 1, self, is
// checked by check, and f does the rest. The bindings of socket and task
// methods are methods of the objects they bind.
func method[T any](name string, check func(bind.Args, int) T, f func(T, *Session, bind.Args) int) func(*Session, *lua.LState) int {
	return func(s *Session, L *lua.LState) int {
		a := bind.Args{L: L, Fn: name, Base: 1}
		return f(check(a, 1), s, a)
	}
}

// newSocket registers a socket with the session and makes its object.
func (s *Session) newSocket(L *lua.LState, so socket, class string) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = so
	ud.Metatable = L.GetTypeMetatable(class)
	s.sockets.add(so, ud)
	return ud
}

// checkSock returns argument n as a socket of any kind, or raises.
func checkSock(a bind.Args, n int) socket {
	return bind.CheckUserdata[socket](a, n, "socket", bind.Describe)
}

// describeSock names a value for "X expected, got …" messages, socket
// kinds included.
func describeSock(v lua.LValue) string {
	if ud, ok := v.(*lua.LUserData); ok {
		if so, ok := ud.Value.(bind.Socket); ok {
			return so.String()
		}
	}
	return bind.Describe(v)
}

func (s *Session) lListen(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "listen"}
	portV, hostV := L.Get(1), L.Get(2)
	proto, opts := "udp", sock.ListenOptions{}
	if t, ok := portV.(*lua.LTable); ok {
		o := a.Options(1, t, "port", "host", "proto", "reuseaddr")
		portV, hostV = o["port"], o["host"]
		if portV == nil {
			a.Raise(1, "port must be a number, got no value")
		}
		if hostV == nil {
			hostV = lua.LNil
		}
		if v, ok := o["proto"]; ok {
			proto = a.Name(1, v, "proto")
			if proto != "udp" && proto != "tcp" {
				a.Raise(1, "proto must be \"udp\" or \"tcp\", got %s", bind.Describe(v))
			}
		}
		if v, ok := o["reuseaddr"]; ok {
			opts.ReuseAddr = boolArg(bind.Args{L: L, Fn: "listen", Base: 2}, "reuseaddr", v)
		}
	}
	port := a.IntIn(1, portV, "port", 0, 65535)
	host := "0.0.0.0"
	if hostV != lua.LNil {
		host = a.Name(2, hostV, "host")
	}
	s.netDenied(L, "binding", host, port)
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	var (
		so    socket
		class string
	)
	open := func() error {
		if proto == "tcp" {
			l, err := sock.ListenTCP(ctx, host, port, opts)
			if err == nil {
				so, class = &tcpListener{l: l, addr: l.Addr(), sockState: newSockState(l)}, listenerClass
			}
			return err
		}
		c, err := sock.ListenUDP(ctx, host, port, opts)
		if err == nil {
			so, class = &udpSocket{conn: c, addr: c.LocalAddr(), sockState: newSockState(c)}, udpClass
		}
		return err
	}
	var err error
	if _, literal := sock.ParseAddr(host); literal || isWildcard(host) {
		err = s.opening(open)
	} else {
		s.block(L, func() func() { // a name to resolve first
			if err = s.opening(open); err != nil {
				return nil
			}
			return func() { so.Shutdown() }
		})
	}
	if err != nil {
		raiseIfDone(L, ctx)
		return bind.Fail(L, s.inUse(err, proto, host, port))
	}
	raiseIfDone(L, ctx)
	L.Push(s.newSocket(L, so, class))
	return 1
}

func isWildcard(host string) bool { return host == "" || host == "*" }

func bindTarget(proto, host string, port int) string {
	switch host {
	case "", "*", "0.0.0.0":
		return fmt.Sprintf("%s port %d", proto, port)
	}
	return fmt.Sprintf("%s port %d on %s", proto, port, host)
}

func settimeout(so socket, s *Session, a bind.Args) int {
	L := a.L
	so.setTimeout(sock.Forever)
	if secs, ok := a.Seconds(2, L.Get(2), "timeout"); ok {
		so.setTimeout(duration(secs))
	}
	L.Push(L.Get(1))
	return 1
}

func getsockname(so socket, s *Session, a bind.Args) int {
	L := a.L
	if so.Closed() {
		return bind.Fail(L, "closed")
	}
	return pushAddr(L, so.LocalAddr())
}

// pushAddr pushes ip, port.
func pushAddr(L *lua.LState, ap netip.AddrPort) int {
	L.Push(lua.LString(ap.Addr().String()))
	L.Push(lua.LNumber(ap.Port()))
	return 2
}

func closeSock(so socket, s *Session, a bind.Args) int {
	L := a.L
	s.sockets.close(so)
	L.Push(lua.LTrue)
	return 1
}

func setoption(so socket, s *Session, a bind.Args) int {
	if optionNames[a.Name(2, a.L.Get(2), "name")] == "reuseaddr" {
		a.Raise(2, "reuseaddr is set when binding: listen{port=..., reuseaddr=true}")
	}
	return optionCall(so, a, "nodelay, keepalive, rcvbuf, sndbuf, maxline, coalesce", func(name string) (lua.LValue, error) {
		return lua.LTrue, so.setOption(a, name, a.L.Get(3))
	})
}

func getoption(so socket, s *Session, a bind.Args) int {
	return optionCall(so, a, "nodelay, keepalive, rcvbuf, sndbuf, maxline, coalesce, reuseaddr, broadcast", so.option)
}

// optionCall is what setoption and getoption share: the option's name
// (argument 2) checked against optionNames (known lists them for the
// error), a closed socket's failure, and do's error as the result — an
// option of another kind of socket raised as a mistake, a failure of the
// system returned as nil and its message.
func optionCall(so socket, a bind.Args, known string, do func(name string) (lua.LValue, error)) int {
	L := a.L
	name := a.Name(2, L.Get(2), "name")
	core, ok := optionNames[name]
	if !ok {
		a.Raise(2, "unknown option '%s' (options: %s)", name, known)
	}
	if so.Closed() {
		return bind.Fail(L, "closed")
	}
	v, err := do(core)
	if err != nil {
		if ek, ok := err.(errOptionKind); ok {
			a.Raise(2, "%s", ek.Error())
		}
		return bind.Fail(L, bind.Failure(err, so.String()))
	}
	L.Push(v)
	return 1
}

// optWait reads an optional timeout argument, defaulting to so's.
func optWait(a bind.Args, n int, so socket) time.Duration {
	if secs, ok := a.Seconds(n, a.L.Get(n), "timeout"); ok {
		return duration(secs)
	}
	return so.timeout()
}

// duration converts seconds to a wait; huge values wait forever.
func duration(secs float64) time.Duration {
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return sock.Forever
	}
	return time.Duration(secs * float64(time.Second))
}
