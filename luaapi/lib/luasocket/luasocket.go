// Package luasocket is LuaSocket's API, so that programs written for it
// run unchanged: require "socket" (and "socket.core") gives its core module
// with its names, arguments, results and error strings. Its objects are
// sockets of the session (bind.Host) like those of listen and connect:
// sockets() lists them,
// trace sees their traffic, the garbage collector and the session's end
// close them, and their blocking calls give other tasks the session and
// stop on Ctrl-C.
//
// An object is a descriptor in non-blocking mode, used as LuaSocket uses
// it: a call tries the system call with the session held, and only when it
// would block does it wait (poll(2), without the session) for as long as
// the object's timeouts allow.
package luasocket

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/lib/lua51"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// The classes of LuaSocket's objects, as tostring and error messages name
// them.
const (
	lsMaster      = "tcp{master}"
	lsClient      = "tcp{client}"
	lsServer      = "tcp{server}"
	lsUnconnected = "udp{unconnected}"
	lsConnected   = "udp{connected}"
)

// State is LuaSocket in one session: the host it runs in, the sockets its
// objects opened, and its module, made on the first require — its table,
// the metatables of its classes, and the marker of socket.try's errors.
type State struct {
	host    bind.Host
	raw     sock.RawSet
	core    *lua.LTable
	classes map[string]*lua.LTable
	try     *lua.LTable
}

// lsBufSize is how much a TCP object reads at a time, as LuaSocket's
// buffer does.
const lsBufSize = 8192

// lsDatagramSize is the largest datagram receive reads unless told, as
// LuaSocket's _DATAGRAMSIZE.
const lsDatagramSize = 8192

// lsDebug is whether LuaSocket's debug behaviour is on (LUASOCKET_DEBUG=1):
// socket._DEBUG is true, and send and receive return the time they took as
// an extra result.
func lsDebug() bool {
	v := os.Getenv("LUASOCKET_DEBUG")
	return v != "" && v != "0"
}

// luaSocket is one LuaSocket object: a raw socket of the session's
// (sock.Raw), which may be none, and LuaSocket's state around it. Its
// fields are used with the session held, except raw, which the registry
// may close from another goroutine.
type luaSocket struct {
	bind.SockState
	s      *State
	tcp    bool
	class  string
	raw    atomic.Pointer[sock.Raw] // nil: none
	family int                      // sock.FamilyUnspec, FamilyIPv4 or FamilyIPv6

	block, total float64   // LuaSocket's timeouts, in seconds; < 0: none
	start        time.Time // when the running call started

	buf  []byte // a TCP object's bytes read and not yet taken
	rbuf []byte // what reads read into (scratch)

	// LuaSocket's own counters, which setstats can change.
	nIn, nOut uint64
	birth     time.Time

	local, remote netip.AddrPort // for trace, known after bind or connect
}

func newLuaSocket(s *State, tcp bool, family int) *luaSocket {
	ls := &luaSocket{s: s, tcp: tcp, family: family, block: -1, total: -1, birth: time.Now()}
	ls.SockState = bind.NewSockState(fdCloser{ls})
	if tcp {
		ls.class = lsMaster
	} else {
		ls.class = lsUnconnected
	}
	return ls
}

// fdCloser closes a LuaSocket object's socket for the registry.
type fdCloser struct{ ls *luaSocket }

func (c fdCloser) Close() error { c.ls.destroy(); return nil }

// sock is the object's raw socket; closed is true when it has none or it
// is closed.
func (ls *luaSocket) sock() (r *sock.Raw, closed bool) {
	r = ls.raw.Load()
	return r, r == nil || r.FD() < 0
}

// getfd is the descriptor, or -1.
func (ls *luaSocket) getfd() int {
	if r, closed := ls.sock(); !closed {
		return r.FD()
	}
	return -1
}

// destroy closes the object's socket, waking the calls that wait on it.
// An object that took another's descriptor with setfd shares its socket:
// whichever closes it first closes it for both.
func (ls *luaSocket) destroy() {
	if r := ls.raw.Swap(nil); r != nil {
		r.Close()
	}
}

// create makes the object's socket, of family.
func (ls *luaSocket) create(family int) error {
	var r *sock.Raw
	err := ls.s.host.Opening(func() error {
		var err error
		r, err = ls.s.raw.Open(family, ls.tcp)
		return err
	})
	if err != nil {
		return err
	}
	ls.destroy()
	ls.raw.Store(r)
	ls.family = family
	ls.local, ls.remote = netip.AddrPort{}, netip.AddrPort{}
	return nil
}

// The registry's view of the object (the socket interface).

func (ls *luaSocket) Shutdown() bool {
	was := ls.getfd() >= 0
	ls.destroy()
	return was
}
func (ls *luaSocket) Closed() bool { return ls.getfd() < 0 }
func (ls *luaSocket) LocalAddr() netip.AddrPort {
	if !ls.local.IsValid() {
		ls.local = ls.sockname(false)
	}
	return ls.local
}
func (ls *luaSocket) Kind() string { return ls.class }
func (ls *luaSocket) Peer() string {
	if p := ls.sockname(true); p.IsValid() {
		return p.String()
	}
	return ""
}

// Show is the object's line in show().
func (ls *luaSocket) Show(in, out uint64) string {
	addr := "no address"
	if a := ls.LocalAddr(); a.IsValid() {
		addr = a.String()
	}
	if p := ls.Peer(); p != "" {
		addr += " -> " + p
	}
	switch {
	case ls.Closed() && ls.family == sock.FamilyUnspec:
		addr = "no descriptor yet (bind, connect or sendto makes it)"
	case ls.Closed():
		addr = "closed"
	}
	return fmt.Sprintf("%s %s, %d in, %d out", ls.class, addr, in, out)
}

// String is what tostring gives, as LuaSocket prints its objects.
func (ls *luaSocket) String() string { return fmt.Sprintf("%s: %p", ls.class, ls) }

// sockname is the object's local (or, with peer, remote) address; zero
// when it has none.
func (ls *luaSocket) sockname(peer bool) netip.AddrPort {
	r, closed := ls.sock()
	if closed {
		return netip.AddrPort{}
	}
	ap, _ := r.Sockname(peer)
	return ap
}

// markStart begins a call: its total timeout counts from now.
func (ls *luaSocket) markStart() { ls.start = time.Now() }

// retry is how long the next wait of the running call may last, in
// LuaSocket's terms: -1 for as long as it takes.
func (ls *luaSocket) retry() float64 {
	switch {
	case ls.block < 0 && ls.total < 0:
		return -1
	case ls.block < 0:
		return math.Max(ls.total-time.Since(ls.start).Seconds(), 0)
	case ls.total < 0:
		return ls.block
	}
	return math.Min(ls.block, math.Max(ls.total-time.Since(ls.start).Seconds(), 0))
}

// errLsTimeout and errLsClosed are LuaSocket's "timeout" and "closed".
var (
	errLsTimeout = errors.New("timeout")
	errLsClosed  = errors.New("closed")
)

// wait waits, without the session, until the socket is ready for events
// or the call's time is up (errLsTimeout). A stopped caller gets its
// context's error.
func (ls *luaSocket) wait(L *lua.LState, events int16) (int16, error) {
	if ls.block == 0 {
		return 0, errLsTimeout
	}
	r, closed := ls.sock()
	if closed {
		return 0, errLsClosed
	}
	var deadline time.Time
	if t := ls.retry(); t >= 0 {
		deadline = time.Now().Add(time.Duration(t * float64(time.Second)))
	}
	ctx := bind.Context(L)
	var got int16
	var err error
	w := new(sock.Waker)
	ls.s.host.BlockWaking(L, w.Wake, func() func() {
		got, err = r.Wait(ctx, events, deadline, w)
		return nil
	})
	switch {
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case errors.Is(err, sock.ErrTimeout):
		return 0, errLsTimeout
	case err != nil:
		if _, closed := ls.sock(); closed {
			return 0, errLsClosed
		}
		return 0, err
	}
	return got, nil
}

// lsError is LuaSocket's message for err.
func lsError(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errLsTimeout), errors.Is(err, sock.ErrTimeout):
		return "timeout"
	case errors.Is(err, errLsClosed), errors.Is(err, sock.ErrClosed):
		return "closed"
	case errors.Is(err, bind.ErrInterrupted), errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &errno):
		switch errno {
		case syscall.EADDRINUSE:
			return "address already in use"
		case syscall.EISCONN:
			return "already connected"
		case syscall.EACCES:
			return "permission denied"
		case syscall.ECONNREFUSED:
			return "connection refused"
		case syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPIPE:
			return "closed"
		case syscall.ETIMEDOUT:
			return "timeout"
		}
		return bind.Strerror(errno)
	}
	var gai gaiError
	if errors.As(err, &gai) {
		return string(gai)
	}
	return err.Error()
}

// --- The module ----------------------------------------------------------

//go:embed socket.lua
var socketLua string

// lsModule makes socket.core's table for the session (once).
func (s *State) lsModule(L *lua.LState) *lua.LTable {
	if s.core != nil {
		return s.core
	}
	m := L.NewTable()
	s.core = m
	s.classes = map[string]*lua.LTable{}
	for _, c := range []struct {
		name   string
		tcp    bool
		groups []string
	}{
		{lsMaster, true, []string{"tcp{any}"}},
		{lsClient, true, []string{"tcp{any}", "tcp{client,server}", "select{able}"}},
		{lsServer, true, []string{"tcp{any}", "tcp{client,server}", "select{able}"}},
		{lsUnconnected, false, []string{"udp{any}", "select{able}"}},
		{lsConnected, false, []string{"udp{any}", "select{able}"}},
	} {
		mt := L.NewTable()
		methods := L.NewTable()
		list := udpMethodsLS
		if c.tcp {
			list = tcpMethodsLS
		}
		for name, fn := range list {
			methods.RawSetString(name, s.lsFunc(name, fn))
		}
		methods.RawSetString("class", lua.LString(c.name))
		mt.RawSetString("__index", methods)
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			ls, _ := L.CheckUserData(1).Value.(*luaSocket)
			if ls == nil {
				L.Push(lua.LString(c.name))
			} else {
				L.Push(lua.LString(ls.String()))
			}
			return 1
		}))
		for _, g := range c.groups {
			mt.RawSetString(g, lua.LTrue)
		}
		s.classes[c.name] = mt
	}
	for name, fn := range lsFuncs {
		m.RawSetString(name, s.lsFunc(name, fn))
	}
	dns := L.NewTable()
	for name, fn := range lsDNSFuncs {
		dns.RawSetString(name, s.lsFunc(name, fn))
	}
	m.RawSetString("dns", dns)
	m.RawSetString("_VERSION", lua.LString("LuaSocket 3.1.0"))
	m.RawSetString("_SETSIZE", lua.LNumber(1024))
	m.RawSetString("_SOCKETINVALID", lua.LNumber(-1))
	m.RawSetString("_DATAGRAMSIZE", lua.LNumber(lsDatagramSize))
	if lsDebug() {
		m.RawSetString("_DEBUG", lua.LTrue)
	}
	s.try = L.NewTable()
	return m
}

// lsFunc binds a LuaSocket function.
func (s *State) lsFunc(name string, fn func(*State, *lua.LState) int) *lua.LFunction {
	return s.host.Bind(name, func(L *lua.LState) int { return fn(s, L) })
}

// Open makes require in L find LuaSocket's modules: socket.core and
// mime.core built in, socket (its Lua layer) built in, and LuaSocket's
// other Lua modules (socket.http, ltn12, mime, …) where the system keeps
// them. Its objects are sockets of h's.
func Open(L *lua.LState, h bind.Host) *State {
	s := &State{host: h}
	preload := L.GetField(L.GetGlobal("package"), "preload").(*lua.LTable)
	preload.RawSetString("socket.core", L.NewFunction(func(L *lua.LState) int {
		L.Push(s.lsModule(L))
		return 1
	}))
	preload.RawSetString("socket", L.NewFunction(func(L *lua.LState) int {
		fn, err := s.host.Load(socketLua, "builtin:socket.lua")
		if err != nil {
			L.RaiseError("%v", err)
		}
		L.Push(fn)
		L.Call(0, 1)
		if m, ok := L.Get(-1).(*lua.LTable); ok {
			s.docModule("socket", m)
			if dns, ok := m.RawGetString("dns").(*lua.LTable); ok {
				s.docModule("socket.dns", dns)
			}
		}
		return 1
	}))
	preload.RawSetString("mime.core", L.NewFunction(func(L *lua.LState) int {
		L.Push(s.mimeModule(L))
		return 1
	}))
	loaders := L.GetField(L.GetGlobal("package"), "loaders").(*lua.LTable)
	loaders.Append(L.NewFunction(s.loadSystemLuaModule))
	return s
}

// userdata makes the Lua object of ls, of its class.
func (s *State) lsObject(L *lua.LState, ls *luaSocket) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = ls
	ud.Metatable = s.classes[ls.class]
	s.host.Track(ls, ud)
	return ud
}

// setClass changes the class of the object at stack index 1.
func (s *State) setClass(L *lua.LState, ls *luaSocket, class string) {
	ls.class = class
	L.CheckUserData(1).Metatable = s.classes[class]
}

// lsCheck returns the object at n, which must be of one of classes (a
// group name ending in "{any}" or "{client,server}" is checked by prefix),
// or raises as LuaSocket does: "tcp{client} expected".
func lsCheck(L *lua.LState, fn string, want string) *luaSocket {
	a := bind.Args{L: L, Fn: fn, Base: 1}
	ud, ok := L.Get(1).(*lua.LUserData)
	var ls *luaSocket
	if ok {
		ls, _ = ud.Value.(*luaSocket)
	}
	if ls == nil {
		a.Raise(1, "%s expected", want)
	}
	if mt, ok := ud.Metatable.(*lua.LTable); !ok || mt.RawGetString(want) == lua.LNil && ls.class != want {
		a.Raise(1, "%s expected", want)
	}
	return ls
}

// lsArgs is the argument checker for a LuaSocket method.
func lsArgs(L *lua.LState, fn string) bind.Args { return bind.Args{L: L, Fn: fn, Base: 1} }

// pushOne returns LuaSocket's success, the number 1.
func pushOne(L *lua.LState) int {
	L.Push(lua.LNumber(1))
	return 1
}

// isLuaSocketModule tells the names of LuaSocket's Lua modules, which
// require looks for where the system's Lua keeps them.
func isLuaSocketModule(name string) bool {
	return name == "ltn12" || name == "mime" || strings.HasPrefix(name, "socket.")
}

// loadSystemLuaModule is require's searcher for LuaSocket's Lua modules
// (socket.http, socket.url, ltn12, mime, …), which run over sockshell's
// socket.core and mime.core.
func (s *State) loadSystemLuaModule(L *lua.LState) int {
	name := L.CheckString(1)
	if !isLuaSocketModule(name) {
		L.Push(lua.LString(""))
		return 1
	}
	var tried strings.Builder
	for _, pat := range strings.Split(lua51.Path(), ";") {
		if pat == "" {
			continue
		}
		file := strings.ReplaceAll(pat, "?", strings.ReplaceAll(name, ".", "/"))
		if _, err := os.Stat(file); err != nil {
			fmt.Fprintf(&tried, "\n\tno file '%s'", file)
			continue
		}
		src, err := s.host.ReadScript(file)
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s': %v", name, file, err)
		}
		fn, err := s.host.Load(string(src), file)
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s':\n\t%v", name, file, err)
		}
		L.Push(fn)
		return 1
	}
	tried.WriteString("\n\t(LuaSocket's Lua modules: apt-get install lua-socket, or set LUA_PATH)")
	L.Push(lua.LString(tried.String()))
	return 1
}

// luasocketDocs document LuaSocket's modules as sockshell provides them;
// LuaSocket's own manual documents each function.
var luasocketDocs = []bind.Func{
	{Doc: &bind.Doc{
		Name:  "socket",
		Forms: []string{`require "socket"`, `require "socket.core"`},
		Summary: "LuaSocket 3.1's API, so that LuaSocket programs run unchanged: `socket.udp/udp4/udp6`, `socket.tcp/tcp4/tcp6`, `socket.bind`, `socket.connect/connect4/connect6`, " +
			"`socket.select`, `socket.gettime`, `socket.sleep`, `socket.skip`, `socket.newtry`, `socket.try`, `socket.protect`, `socket.sink/source/choose`, " +
			"`socket.dns.toip/tohostname/gethostname/getaddrinfo/getnameinfo`, and every method of LuaSocket's master, client, server, connected and unconnected objects, " +
			"with LuaSocket's names, results and error strings. Its objects are session sockets: `sockets()` lists them, `trace` shows their traffic, " +
			"and their blocking calls let tasks run and stop on Ctrl-C. LuaSocket's Lua modules (`socket.http`, `socket.url`, `socket.smtp`, `ltn12`, `mime`) " +
			"load from `$LUA_PATH` or the system's Lua directories (Debian: `apt-get install lua-socket`).",
		Returns: "the module table (`require` sets no global, as LuaSocket 3 under Lua 5.1).",
		Errors:  "As LuaSocket: bad arguments raise (`bad argument #1 to 'receive' (invalid receive pattern)`); network failures return `nil` and LuaSocket's message (`\"timeout\"`, `\"closed\"`, `\"connection refused\"`). `LUASOCKET_DEBUG=1` sets `socket._DEBUG` and adds the elapsed time to the results of `send` and `receive`, as LuaSocket's debug build does.",
		Example: `local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local c = assert(socket.connect("127.0.0.1", port))
local s = server:accept()
c:send("hello\n")
print(s:receive())  --> hello  nil  nil
c:close() s:close() server:close()`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "mime.core",
		Forms:   []string{`require "mime.core"`},
		Summary: "The filters under LuaSocket's `mime` module, as LuaSocket's C code has them: `b64`, `unb64`, `qp`, `unqp`, `wrp`, `qpwrp`, `eol`, `dot`. Each converts a stream in chunks: it takes a chunk and what the last call left, and returns what it converted and what is left; without a chunk it finishes.",
		Returns: "the module table.",
		Errors:  "Bad arguments raise, as LuaSocket's.",
		Example: `local mime = require "mime.core"
print((mime.b64("sockshell")))  --> c29ja3NoZWxs
print((mime.unb64("c29ja3NoZWxs")))  --> sockshell
print((mime.qp("caf\233 = ok")))  --> caf=E9 =3D ok`,
	}, Fn: nil},
}

// sockName is the object's local (or, with peer, remote) address, or why
// there is none.
func (ls *luaSocket) sockName(peer bool) (netip.AddrPort, error) {
	r, closed := ls.sock()
	if closed {
		return netip.AddrPort{}, syscall.EBADF // as the system call on LuaSocket's invalid descriptor
	}
	return r.Sockname(peer)
}

// Help lists a LuaSocket object's methods, which LuaSocket's
// manual documents.
func (ls *luaSocket) Help(ud *lua.LUserData) string {
	var names []string
	if mt, ok := ud.Metatable.(*lua.LTable); ok {
		if methods, ok := mt.RawGetString("__index").(*lua.LTable); ok {
			methods.ForEach(func(k, v lua.LValue) {
				if v.Type() == lua.LTFunction {
					names = append(names, k.String())
				}
			})
		}
	}
	sort.Strings(names)
	topic := "socket.udp-methods"
	if ls.tcp {
		topic = "socket.tcp-methods"
	}
	return fmt.Sprintf("%s is a LuaSocket object (help %q tells them all); its methods:\n%s", ls.class, topic,
		bind.Wrap("  ", strings.Join(names, ", "), 80, "  "))
}
