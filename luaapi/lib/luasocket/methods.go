package luasocket

import (
	"errors"
	"math"
	"net/netip"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// The methods of LuaSocket's objects, each checking its class as
// LuaSocket does.

var tcpMethodsLS = map[string]func(*State, *lua.LState) int{
	"accept":      lsAccept,
	"bind":        lsBindMethod(lsMaster, true),
	"setsockname": lsBindMethod(lsMaster, true),
	"close":       lsClose("tcp{any}"),
	"connect":     lsConnectMethod("tcp{any}"),
	"setpeername": lsConnectMethod("tcp{any}"),
	"dirty":       lsDirty("tcp{any}"),
	"getfamily":   lsGetfamily("tcp{any}"),
	"getfd":       lsGetfd("tcp{any}"),
	"setfd":       lsSetfd("tcp{any}"),
	"getoption":   lsOptionMethod("tcp{any}", tcpOptions, false),
	"setoption":   lsOptionMethod("tcp{any}", tcpOptions, true),
	"getpeername": lsName("tcp{any}", true),
	"getsockname": lsName("tcp{any}", false),
	"getstats":    lsGetstats,
	"setstats":    lsSetstats,
	"listen":      lsListen,
	"receive":     lsReceive,
	"send":        lsSend,
	"settimeout":  lsSettimeout("tcp{any}"),
	"gettimeout":  lsGettimeout("tcp{any}"),
	"shutdown":    lsShutdown,
}

var udpMethodsLS = map[string]func(*State, *lua.LState) int{
	"close":       lsClose("udp{any}"),
	"dirty":       lsDirty("udp{any}"),
	"getfamily":   lsGetfamily("udp{any}"),
	"getfd":       lsGetfd("udp{any}"),
	"setfd":       lsSetfd("udp{any}"),
	"getoption":   lsOptionMethod("udp{any}", udpOptions, false),
	"setoption":   lsOptionMethod("udp{any}", udpOptions, true),
	"getpeername": lsName(lsConnected, true),
	"getsockname": lsName("udp{any}", false),
	"receive":     lsUDPReceive(false),
	"receivefrom": lsUDPReceive(true),
	"send":        lsUDPSend,
	"sendto":      lsSendto,
	"setpeername": lsSetpeername,
	"setsockname": lsBindMethod(lsUnconnected, false),
	"settimeout":  lsSettimeout("udp{any}"),
	"gettimeout":  lsGettimeout("udp{any}"),
}

func lsClose(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "close", group)
		if ls.class == lsClient && ls.tcp && ls.getfd() >= 0 && s.host.Tracing() {
			local, remote := ls.tcpPeers()
			s.host.StreamEvent(bind.Ended, local, remote, local, "close")
		}
		ls.destroy()
		return pushOne(L)
	}
}

func lsDirty(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "dirty", group)
		L.Push(lua.LBool(len(ls.buf) > 0))
		return 1
	}
}

func lsGetfamily(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "getfamily", group)
		if ls.family == sock.FamilyIPv6 {
			L.Push(lua.LString("inet6"))
		} else {
			L.Push(lua.LString("inet4"))
		}
		return 1
	}
}

func lsGetfd(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		L.Push(lua.LNumber(lsCheck(L, "getfd", group).getfd()))
		return 1
	}
}

// lsSetfd gives the object another descriptor, as LuaSocket's setfd does:
// the one it had stays open (whoever took it with getfd owns it), and the
// object owns the new one. Unlike C LuaSocket's, it takes only a
// descriptor that a LuaSocket object of this session opened and that is
// still open, or -1: never one the process inherited (a file on fd 9) or
// the Go runtime's own, which closing the object would close.
func lsSetfd(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "setfd", group)
		a := lsArgs(L, "setfd")
		n := int(a.CheckNumber(2))
		var r *sock.Raw
		if n >= 0 {
			if r = s.raw.Lookup(n); r == nil {
				a.Raise(2, "descriptor %d is not a socket this session opened", n)
			}
		}
		// The socket it had stays open, as in LuaSocket: whoever took its
		// descriptor with getfd may still use it.
		ls.raw.Store(r)
		ls.buf = nil
		ls.local, ls.remote = netip.AddrPort{}, netip.AddrPort{}
		return 0
	}
}

func lsSettimeout(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "settimeout", group)
		a := lsArgs(L, "settimeout")
		t := a.OptNumber(2, -1)
		mode, _ := a.OptString(3, "b")
		switch {
		case mode != "" && mode[0] == 'b':
			ls.block = t
		case mode != "" && (mode[0] == 'r' || mode[0] == 't'):
			ls.total = t
		default:
			a.Raise(3, "invalid timeout mode")
		}
		return pushOne(L)
	}
}

func lsGettimeout(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "gettimeout", group)
		L.Push(lua.LNumber(ls.block))
		L.Push(lua.LNumber(ls.total))
		return 2
	}
}

// lsName is getsockname (peer false) and getpeername: the address, the
// port — a string from getsockname, a number from getpeername, as
// LuaSocket gives them — and the family.
func lsName(group string, peer bool) func(*State, *lua.LState) int {
	name := "getsockname"
	if peer {
		name = "getpeername"
	}
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, name, group)
		ap, err := ls.sockName(peer)
		if err != nil {
			return bind.Fail(L, lsError(err))
		}
		L.Push(lua.LString(ap.Addr().String()))
		if peer {
			L.Push(lua.LNumber(ap.Port()))
		} else {
			L.Push(lua.LString(lua.LNumber(ap.Port()).String()))
		}
		L.Push(lua.LString(familyName(ap.Addr())))
		return 3
	}
}

// lsBindMethod is bind (TCP) and setsockname (UDP).
func lsBindMethod(class string, tcp bool) func(*State, *lua.LState) int {
	name := "bind"
	if !tcp {
		name = "setsockname"
	}
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, name, class)
		a := lsArgs(L, name)
		address := a.CheckString(2)
		port := a.CheckString(3)
		if err := s.lsBind(L, ls, address, port); err != nil {
			return bind.Fail(L, lsError(err))
		}
		return pushOne(L)
	}
}

// lsBind binds ls to the first of address's addresses that takes it,
// making its descriptor when it has none.
func (s *State) lsBind(L *lua.LState, ls *luaSocket, address, port string) error {
	s.lsNetDenied(L, "binding", address, port, ls.tcp)
	var found []netip.AddrPort
	var err error
	ctx := bind.Context(L)
	s.host.Block(L, func() func() {
		found, err = lsResolve(ctx, address, port, ls.family, true, false, ls.tcp)
		return nil
	})
	if err != nil {
		return err
	}
	for _, ap := range found {
		made := false
		if ls.getfd() < 0 {
			if err = ls.create(sock.FamilyOf(ap)); err != nil {
				continue
			}
			made = true
		}
		r, _ := ls.sock()
		err = s.host.Opening(func() error { return r.Bind(ap) })
		if err == nil {
			ls.local = netip.AddrPort{}
			return nil
		}
		if made {
			ls.destroy()
		}
	}
	return err
}

// lsConnectMethod is a TCP object's connect.
func lsConnectMethod(group string) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, "connect", group)
		a := lsArgs(L, "connect")
		address := a.CheckString(2)
		port := a.CheckString(3)
		ls.markStart()
		err := s.lsConnect(L, ls, address, port, ls.family)
		// Even when it failed: a connect that did not finish in time
		// goes on, and select tells when it has.
		s.setClass(L, ls, lsClient)
		if err != nil {
			return bind.Fail(L, lsError(err))
		}
		return pushOne(L)
	}
}

// lsConnect connects ls to the first of address's addresses that answers,
// making a descriptor of each address's family as it needs one.
func (s *State) lsConnect(L *lua.LState, ls *luaSocket, address, port string, family int) error {
	s.lsNetDenied(L, "connecting to", address, port, ls.tcp)
	var found []netip.AddrPort
	var err error
	ctx := bind.Context(L)
	s.host.Block(L, func() func() {
		found, err = lsResolve(ctx, address, port, family, false, false, ls.tcp)
		return nil
	})
	if err != nil {
		return err
	}
	for _, ap := range found {
		ls.markStart()
		fam := sock.FamilyOf(ap)
		if ls.family != fam || ls.getfd() < 0 && ls.family == sock.FamilyUnspec {
			if err = ls.create(fam); err != nil {
				return err
			}
		}
		if err = s.lsConnectOne(L, ls, ap); err == nil {
			ls.local, ls.remote = netip.AddrPort{}, ap
			if ls.tcp && s.host.Tracing() {
				local, remote := ls.tcpPeers()
				s.host.StreamEvent(bind.Opened, local, remote, local, "connect")
			}
			return nil
		}
		if bind.Context(L).Err() != nil {
			return err
		}
	}
	return err
}

// lsConnectOne connects ls to ap, waiting as its timeouts allow.
func (s *State) lsConnectOne(L *lua.LState, ls *luaSocket, ap netip.AddrPort) error {
	r, closed := ls.sock()
	if closed {
		return errLsClosed
	}
	err := r.Connect(ap)
	if !errors.Is(err, sock.ErrInProgress) {
		return err
	}
	if _, err := ls.wait(L, sock.Readable|sock.Writable); err != nil {
		return err
	}
	return r.ConnectError()
}

func lsListen(s *State, L *lua.LState) int {
	ls := lsCheck(L, "listen", lsMaster)
	backlog := int(lsArgs(L, "listen").OptNumber(2, 32))
	r, _ := ls.sock()
	if r == nil {
		return bind.Fail(L, "closed")
	}
	if err := r.Listen(backlog); err != nil {
		return bind.Fail(L, lsError(err))
	}
	s.setClass(L, ls, lsServer)
	return pushOne(L)
}

func lsAccept(s *State, L *lua.LState) int {
	ls := lsCheck(L, "accept", lsServer)
	ls.markStart()
	for {
		r, closed := ls.sock()
		if closed {
			return bind.Fail(L, "closed")
		}
		var nr *sock.Raw
		err := s.host.Opening(func() error {
			var err error
			nr, err = r.Accept()
			return err
		})
		if err == nil {
			c := newLuaSocket(s, true, ls.family)
			c.raw.Store(nr)
			c.class = lsClient
			ls.Received(0)
			if s.host.Tracing() {
				local, remote := c.tcpPeers()
				s.host.StreamEvent(bind.Opened, remote, local, local, "accept")
			}
			L.Push(s.lsObject(L, c))
			return 1
		}
		if !errors.Is(err, sock.ErrWouldBlock) {
			return bind.Fail(L, lsError(err))
		}
		if _, err := ls.wait(L, sock.Readable); err != nil {
			return bind.Fail(L, lsError(err))
		}
	}
}

func lsShutdown(s *State, L *lua.LState) int {
	ls := lsCheck(L, "shutdown", lsClient)
	how := lsArgs(L, "shutdown").CheckOption(2, "both", "receive", "send", "both")
	if r, _ := ls.sock(); r != nil {
		err := r.Shutdown([]int{sock.ShutRead, sock.ShutWrite, sock.ShutBoth}[how])
		if how != 0 && err == nil && s.host.Tracing() {
			local, remote := ls.tcpPeers()
			s.host.StreamEvent(bind.Ended, local, remote, local, "shutdown")
		}
	}
	return pushOne(L)
}

func lsGetstats(s *State, L *lua.LState) int {
	ls := lsCheck(L, "getstats", lsClient)
	L.Push(lua.LNumber(ls.nIn))
	L.Push(lua.LNumber(ls.nOut))
	L.Push(lua.LNumber(time.Since(ls.birth).Seconds()))
	return 3
}

func lsSetstats(s *State, L *lua.LState) int {
	ls := lsCheck(L, "setstats", lsClient)
	a := lsArgs(L, "setstats")
	ls.nIn = uint64(a.OptNumber(2, float64(ls.nIn)))
	ls.nOut = uint64(a.OptNumber(3, float64(ls.nOut)))
	if f, ok := bind.ToNumber(L.Get(4)); ok {
		ls.birth = time.Now().Add(-time.Duration(f * float64(time.Second)))
	}
	return pushOne(L)
}

// elapsed pushes, in LuaSocket's debug mode, the time the call took.
func (ls *luaSocket) elapsed(L *lua.LState, n int) int {
	if lsDebug() {
		L.Push(lua.LNumber(time.Since(ls.start).Seconds()))
		n++
	}
	return n
}

// tcpPeers knows a TCP object's addresses for trace.
func (ls *luaSocket) tcpPeers() (netip.AddrPort, netip.AddrPort) {
	if !ls.local.IsValid() {
		ls.local = ls.sockname(false)
	}
	if !ls.remote.IsValid() {
		ls.remote = ls.sockname(true)
	}
	return ls.local, ls.remote
}

// lsSend is a TCP object's send(data [, i [, j]]).
func lsSend(s *State, L *lua.LState) int {
	ls := lsCheck(L, "send", lsClient)
	a := lsArgs(L, "send")
	data := a.CheckString(2)
	size := int64(len(data))
	start := int64(a.OptNumber(3, 1))
	end := int64(a.OptNumber(4, -1))
	ls.markStart()
	if start < 0 {
		start = size + start + 1
	}
	if end < 0 {
		end = size + end + 1
	}
	if start < 1 {
		start = 1
	}
	if end > size {
		end = size
	}
	var sent int64
	var err error
	if start <= end {
		sent, err = s.lsWrite(L, ls, []byte(data[start-1:end]))
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(lsError(err)))
		L.Push(lua.LNumber(sent + start - 1))
	} else {
		L.Push(lua.LNumber(sent + start - 1))
		L.Push(lua.LNil)
		L.Push(lua.LNil)
	}
	return ls.elapsed(L, 3)
}

// lsWrite writes b to a TCP object, waiting as its timeouts allow; it
// reports how much went.
func (s *State) lsWrite(L *lua.LState, ls *luaSocket, b []byte) (int64, error) {
	var total int64
	for len(b) > 0 {
		r, closed := ls.sock()
		if closed {
			return total, errLsClosed
		}
		chunk := b
		if len(chunk) > lsBufSize {
			chunk = chunk[:lsBufSize]
		}
		n, err := r.Write(chunk)
		if n > 0 {
			if s.host.Tracing() {
				local, remote := ls.tcpPeers()
				s.host.Packet(L, true, false, local, remote, chunk[:n])
			}
			total += int64(n)
			ls.nOut += uint64(n)
			ls.Sent(n)
			b = b[n:]
			continue
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, sock.ErrWouldBlock):
			if _, err := ls.wait(L, sock.Writable); err != nil {
				return total, err
			}
		default:
			return total, err
		}
	}
	return total, nil
}

// fill reads what the stream has into the object's buffer, waiting as its
// timeouts allow; errLsClosed at the end of the stream.
func (s *State) fill(L *lua.LState, ls *luaSocket) error {
	chunk := ls.scratch(lsBufSize)
	for {
		r, closed := ls.sock()
		if closed {
			return errLsClosed
		}
		n, err := r.Read(chunk)
		if n > 0 {
			if s.host.Tracing() {
				local, remote := ls.tcpPeers()
				s.host.Packet(L, true, true, local, remote, chunk[:n])
			}
			ls.buf = append(ls.buf, chunk[:n]...)
			ls.nIn += uint64(n)
			ls.Received(n)
			return nil
		}
		switch {
		case err == nil: // the end of the stream: the peer's FIN
			if s.host.Tracing() {
				local, remote := ls.tcpPeers()
				s.host.StreamEvent(bind.Ended, remote, local, local, "peer closed")
			}
			return errLsClosed
		case errors.Is(err, sock.ErrWouldBlock):
			if _, err := ls.wait(L, sock.Readable); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// lsReceive is a TCP object's receive([pattern [, prefix]]).
func lsReceive(s *State, L *lua.LState) int {
	ls := lsCheck(L, "receive", lsClient)
	a := lsArgs(L, "receive")
	prefix, _ := a.OptString(3, "")
	ls.markStart()
	out := []byte(prefix)
	var err error
	grow := budgetAsker(L)
	if n, ok := L.Get(2).(lua.LNumber); ok || isNumericString(L.Get(2)) {
		f, _ := bind.ToNumber(L.Get(2))
		if !ok {
			n = lua.LNumber(f)
		}
		if n < 0 {
			a.Raise(2, "invalid receive pattern")
		}
		wanted := int(n)
		if len(prefix) == 0 || wanted > len(prefix) {
			// As LuaSocket does, it reads at least once when its buffer
			// is empty, even for 0 bytes: receive(0) waits for data (or
			// reports the stream's end) without taking any.
			wanted -= len(prefix)
			for {
				if len(ls.buf) == 0 {
					if err = s.fill(L, ls); err != nil {
						break
					}
				}
				take := min(wanted, len(ls.buf))
				grow(len(out) + take)
				out = append(out, ls.buf[:take]...)
				ls.buf = ls.buf[take:]
				wanted -= take
				if wanted <= 0 {
					break
				}
			}
		}
	} else {
		p, _ := a.OptString(2, "*l")
		switch {
		case len(p) >= 2 && p[0] == '*' && p[1] == 'l':
			out, err = s.lsLine(L, ls, out, grow)
		case len(p) >= 2 && p[0] == '*' && p[1] == 'a':
			got := 0
			for {
				got += len(ls.buf)
				grow(len(out) + len(ls.buf))
				out = append(out, ls.buf...)
				ls.buf = nil
				if err = s.fill(L, ls); err != nil {
					break
				}
			}
			if errors.Is(err, errLsClosed) && got > 0 {
				err = nil
			}
		default:
			a.Raise(2, "invalid receive pattern")
		}
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(lsError(err)))
		L.Push(lua.LString(out))
	} else {
		L.Push(lua.LString(out))
		L.Push(lua.LNil)
		L.Push(lua.LNil)
	}
	return ls.elapsed(L, 3)
}

// budgetAsker returns a function that asks the memory budget, for a read
// that gathers n bytes, each time n has grown by a quarter from 64 KiB on;
// it raises "not enough memory" when the budget refuses.
func budgetAsker(L *lua.LState) func(n int) {
	ask := 64 << 10
	return func(n int) {
		if n >= ask {
			procmem.Alloc(L, int64(n))
			ask = n + n/4
		}
	}
}

// lsLine reads a line ended by LF; every CR is dropped, as LuaSocket does.
func (s *State) lsLine(L *lua.LState, ls *luaSocket, out []byte, grow func(int)) ([]byte, error) {
	for {
		grow(len(out) + len(ls.buf))
		for i, c := range ls.buf {
			if c == '\n' {
				ls.buf = ls.buf[i+1:]
				return out, nil
			}
			if c != '\r' {
				out = append(out, c)
			}
		}
		ls.buf = nil
		if err := s.fill(L, ls); err != nil {
			return out, err
		}
	}
}

// isNumericString reports whether v is a string Lua converts to a number.
func isNumericString(v lua.LValue) bool {
	if _, ok := v.(lua.LString); !ok {
		return false
	}
	_, ok := bind.ToNumber(v)
	return ok
}

// UDP.

// lsUDPReceive is receive and receivefrom.
func lsUDPReceive(from bool) func(*State, *lua.LState) int {
	name, class := "receive", "udp{any}"
	if from {
		name, class = "receivefrom", lsUnconnected
	}
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, name, class)
		want := lsArgs(L, name).OptNumber(2, lsDatagramSize)
		ls.markStart()
		// No datagram is larger than 64 KiB: a larger buffer would only
		// cost memory (LuaSocket allocates it, and says "out of memory"
		// when it cannot).
		wanted := int(math.Max(0, math.Min(want, 1<<16)))
		if !(want < 1<<62) {
			return bind.Fail(L, "out of memory")
		}
		buf := ls.scratch(wanted)
		for {
			r, closed := ls.sock()
			if closed {
				return bind.Fail(L, "closed")
			}
			n, peer, err := r.RecvFrom(buf)
			if err == nil {
				n = min(n, len(buf))
				if s.host.Tracing() {
					s.host.Packet(L, false, true, ls.LocalAddr(), peer, buf[:n])
				}
				ls.Received(n)
				L.Push(lua.LString(buf[:n]))
				if !from {
					return 1
				}
				L.Push(lua.LString(peer.Addr().String()))
				L.Push(lua.LNumber(peer.Port()))
				return 3
			}
			switch {
			case errors.Is(err, sock.ErrWouldBlock):
				if _, err := ls.wait(L, sock.Readable); err != nil {
					return bind.Fail(L, udpError(err))
				}
			default:
				return bind.Fail(L, udpError(err))
			}
		}
	}
}

// udpError is LuaSocket's word for a UDP failure: "refused" where TCP's
// would be "closed".
func udpError(err error) string {
	if msg := lsError(err); msg != "closed" || errors.Is(err, errLsClosed) || errors.Is(err, sock.ErrClosed) {
		return msg
	}
	return "refused"
}

// lsUDPWrite sends one datagram, to to or (zero) the peer.
func (s *State) lsUDPWrite(L *lua.LState, ls *luaSocket, data []byte, to netip.AddrPort) int {
	for {
		r, closed := ls.sock()
		if closed {
			return bind.Fail(L, "closed")
		}
		err := r.SendTo(data, to)
		if err == nil {
			if s.host.Tracing() {
				peer := ls.remote
				if to.IsValid() {
					peer = to
				} else if !peer.IsValid() {
					peer = ls.sockname(true)
				}
				s.host.Packet(L, false, false, ls.LocalAddr(), peer, data)
			}
			ls.Sent(len(data))
			L.Push(lua.LNumber(len(data)))
			return 1
		}
		switch {
		case errors.Is(err, sock.ErrWouldBlock):
			if _, err := ls.wait(L, sock.Writable); err != nil {
				return bind.Fail(L, udpError(err))
			}
		default:
			return bind.Fail(L, udpError(err))
		}
	}
}

func lsUDPSend(s *State, L *lua.LState) int {
	ls := lsCheck(L, "send", lsConnected)
	data := lsArgs(L, "send").CheckString(2)
	ls.markStart()
	return s.lsUDPWrite(L, ls, []byte(data), netip.AddrPort{})
}

func lsSendto(s *State, L *lua.LState) int {
	ls := lsCheck(L, "sendto", lsUnconnected)
	a := lsArgs(L, "sendto")
	data := a.CheckString(2)
	ip := a.CheckString(3)
	port := a.CheckString(4)
	s.lsNetDenied(L, "sending to", ip, port, false)
	found, err := lsResolve(bind.Context(L), ip, port, ls.family, false, true, false)
	if err != nil {
		return bind.Fail(L, lsError(err))
	}
	if ls.getfd() < 0 && ls.family == sock.FamilyUnspec {
		if err := ls.create(sock.FamilyOf(found[0])); err != nil {
			return bind.Fail(L, lsError(err))
		}
	}
	ls.markStart()
	return s.lsUDPWrite(L, ls, []byte(data), found[0])
}

func lsSetpeername(s *State, L *lua.LState) int {
	ls := lsCheck(L, "setpeername", "udp{any}")
	a := lsArgs(L, "setpeername")
	address := a.CheckString(2)
	if address == "*" {
		if r, closed := ls.sock(); !closed {
			// Some systems report an error although they did it; like
			// LuaSocket, this ignores errors.
			r.Disconnect()
		}
		ls.remote = netip.AddrPort{}
		s.setClass(L, ls, lsUnconnected)
		return pushOne(L)
	}
	port := a.CheckString(3)
	ls.markStart()
	if err := s.lsConnect(L, ls, address, port, ls.family); err != nil {
		return bind.Fail(L, lsError(err))
	}
	s.setClass(L, ls, lsConnected)
	return pushOne(L)
}

// lsNetDenied raises the --safe refusal of a LuaSocket call's address, if
// there is one; "*" is every address.
func (s *State) lsNetDenied(L *lua.LState, what, address, port string, tcp bool) {
	if address == "*" {
		address = "0.0.0.0"
	}
	p, _ := lsPort(port, tcp)
	s.host.CheckNet(L, what, address, p)
}

// scratch is the object's read buffer, of n bytes: reads copy out of it
// (into a Lua string, or the stream's buffer) before the session goes to
// anyone else, so one serves every read.
func (ls *luaSocket) scratch(n int) []byte {
	if cap(ls.rbuf) < n {
		ls.rbuf = make([]byte, max(n, lsBufSize))
	}
	return ls.rbuf[:n]
}
