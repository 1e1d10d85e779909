package luasocket

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// LuaSocket's socket options, by the names setoption and getoption take.

// lsOption sets (the value is argument 3) or gets one option of r (nil:
// the object has no socket); it returns the Lua result, or false when the
// system call failed. The numbers and the calls are sock.Raw's: this
// layer reads LuaSocket's arguments and makes its results.
type lsOption func(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool)

// boolOpt is an on/off option, by sock.Raw's name for it.
func boolOpt(name string) lsOption {
	return func(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
		if set {
			v, ok := a.L.Get(3).(lua.LBool)
			if !ok {
				a.Raise(3, "boolean expected, got %s", a.TypeAt(3))
			}
			on := 0
			if v {
				on = 1
			}
			return lua.LNumber(1), r.SetOption(name, on) == nil
		}
		v, err := r.Option(name)
		return lua.LBool(v != 0), err == nil
	}
}

// intOpt is a numeric option, by sock.Raw's name for it.
func intOpt(name string) lsOption {
	return func(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
		if set {
			// As LuaSocket: what is not a number is 0.
			f, _ := bind.ToNumber(a.L.Get(3))
			return lua.LNumber(1), r.SetOption(name, int(f)) == nil
		}
		v, err := r.Option(name)
		return lua.LNumber(v), err == nil
	}
}

// tableArg is argument n, which must be a table.
func tableArg(a bind.Args, n int) *lua.LTable {
	t, ok := a.L.Get(n).(*lua.LTable)
	if !ok {
		a.Raise(n, "table expected, got %s", a.TypeAt(n))
	}
	return t
}

// lingerOpt is SO_LINGER, as a table {on = boolean, timeout = seconds}.
func lingerOpt(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
	if set {
		t := tableArg(a, 3)
		on, ok := t.RawGetString("on").(lua.LBool)
		if !ok {
			a.Raise(3, "boolean 'on' field expected")
		}
		secs, ok := bind.ToNumber(t.RawGetString("timeout"))
		if !ok {
			a.Raise(3, "number 'timeout' field expected")
		}
		return lua.LNumber(1), r.SetLinger(bool(on), int(secs)) == nil
	}
	on, secs, err := r.Linger()
	if err != nil {
		return nil, false
	}
	t := a.L.NewTable()
	t.RawSetString("on", lua.LBool(on))
	t.RawSetString("timeout", lua.LNumber(secs))
	return t, true
}

// errorOpt reads SO_ERROR: nil when there is none.
func errorOpt(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
	err := r.ConnectError()
	var errno syscall.Errno
	switch {
	case err == nil:
		return lua.LNil, true
	case errors.As(err, &errno):
		return lua.LString(lsError(errno)), true
	}
	return nil, false
}

// ipv4Field reads an IPv4 address from field name of a table argument.
func ipv4Field(a bind.Args, t *lua.LTable, name string, any bool) [4]byte {
	v, ok := t.RawGetString(name).(lua.LString)
	if !ok {
		if n, isNum := t.RawGetString(name).(lua.LNumber); isNum {
			v, ok = lua.LString(n.String()), true
		}
	}
	if !ok {
		a.Raise(3, "string '%s' field expected", name)
	}
	if any && v == "*" {
		return [4]byte{}
	}
	ip, err := netip.ParseAddr(string(v))
	if err != nil || !ip.Is4() {
		a.Raise(3, "invalid '%s' ip address", name)
	}
	return ip.As4()
}

// membershipOpt joins or leaves an IPv4 group: {multiaddr=, interface=}.
func membershipOpt(join bool) lsOption {
	return func(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
		t := tableArg(a, 3)
		group, iface := ipv4Field(a, t, "multiaddr", false), ipv4Field(a, t, "interface", true)
		return lua.LNumber(1), r.SetMembership4(group, iface, join) == nil
	}
}

// membership6Opt joins or leaves an IPv6 group: {multiaddr=, interface=
// index}.
func membership6Opt(join bool) lsOption {
	return func(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
		t := tableArg(a, 3)
		s, ok := t.RawGetString("multiaddr").(lua.LString)
		if !ok {
			a.Raise(3, "string 'multiaddr' field expected")
		}
		ip, err := netip.ParseAddr(string(s))
		if err != nil || !ip.Is6() {
			a.Raise(3, "invalid 'multiaddr' ip address")
		}
		var ifindex uint32
		switch v := t.RawGetString("interface").(type) {
		case *lua.LNilType:
		case lua.LNumber:
			ifindex = uint32(v)
		default:
			a.Raise(3, "number 'interface' field expected")
		}
		return lua.LNumber(1), r.SetMembership6(ip.As16(), ifindex, join) == nil
	}
}

// multicastIfOpt is IP_MULTICAST_IF, as an address ("*" for any).
func multicastIfOpt(a bind.Args, r *sock.Raw, set bool) (lua.LValue, bool) {
	if set {
		s := a.CheckString(3)
		var addr [4]byte
		if s != "*" {
			ip, err := netip.ParseAddr(s)
			if err != nil || !ip.Is4() {
				a.Raise(3, "ip expected")
			}
			addr = ip.As4()
		}
		return lua.LNumber(1), r.SetMulticastIf4(addr) == nil
	}
	addr, err := r.MulticastIf4()
	return lua.LString(netip.AddrFrom4(addr).String()), err == nil
}

// lsOpt is one option of a kind of object, and whether setoption and
// getoption take it (LuaSocket sets some it cannot read, and reads one,
// "error", that it cannot set).
type lsOpt struct {
	fn       lsOption
	set, get bool
}

const (
	setOnly = iota + 1
	getOnly
	setGet
)

// opt makes an lsOpt for which calls take it.
func opt(fn lsOption, which int) lsOpt {
	return lsOpt{fn, which != getOnly, which != setOnly}
}

// tcpOptions and udpOptions are the options of TCP and UDP objects, by
// LuaSocket's names.
var (
	tcpOptions = map[string]lsOpt{
		"keepalive":        opt(boolOpt("keepalive"), setGet),
		"reuseaddr":        opt(boolOpt("reuseaddr"), setGet),
		"reuseport":        opt(boolOpt("reuseport"), setGet),
		"tcp-nodelay":      opt(boolOpt("tcp-nodelay"), setGet),
		"ipv6-v6only":      opt(boolOpt("ipv6-v6only"), setOnly),
		"linger":           opt(lingerOpt, setGet),
		"error":            opt(errorOpt, getOnly),
		"recv-buffer-size": opt(intOpt("recv-buffer-size"), setGet),
		"send-buffer-size": opt(intOpt("send-buffer-size"), setGet),
	}
	udpOptions = map[string]lsOpt{
		"dontroute":            opt(boolOpt("dontroute"), setGet),
		"broadcast":            opt(boolOpt("broadcast"), setGet),
		"reuseaddr":            opt(boolOpt("reuseaddr"), setGet),
		"reuseport":            opt(boolOpt("reuseport"), setGet),
		"ip-multicast-if":      opt(multicastIfOpt, setGet),
		"ip-multicast-ttl":     opt(intOpt("ip-multicast-ttl"), setGet),
		"ip-multicast-loop":    opt(boolOpt("ip-multicast-loop"), setGet),
		"ip-add-membership":    opt(membershipOpt(true), setOnly),
		"ip-drop-membership":   opt(membershipOpt(false), setOnly),
		"error":                opt(errorOpt, getOnly),
		"ipv6-unicast-hops":    opt(intOpt("ipv6-unicast-hops"), setGet),
		"ipv6-multicast-hops":  opt(intOpt("ipv6-multicast-hops"), setGet),
		"ipv6-multicast-loop":  opt(boolOpt("ipv6-multicast-loop"), setGet),
		"ipv6-add-membership":  opt(membership6Opt(true), setOnly),
		"ipv6-drop-membership": opt(membership6Opt(false), setOnly),
		"ipv6-v6only":          opt(boolOpt("ipv6-v6only"), setGet),
		"recv-buffer-size":     opt(intOpt("recv-buffer-size"), setGet),
		"send-buffer-size":     opt(intOpt("send-buffer-size"), setGet),
	}
)

// lsOptionMethod is setoption (set) or getoption, over opts.
func lsOptionMethod(group string, opts map[string]lsOpt, set bool) func(*State, *lua.LState) int {
	name, failed := "getoption", "getsockopt failed"
	if set {
		name, failed = "setoption", "setsockopt failed"
	}
	return func(s *State, L *lua.LState) int {
		ls := lsCheck(L, name, group)
		a := lsArgs(L, name)
		o, ok := opts[a.CheckString(2)]
		if !ok || set && !o.set || !set && !o.get {
			a.Raise(2, "unsupported option `%s'", a.CheckString(2))
		}
		if set && strings.HasSuffix(a.CheckString(2), "-add-membership") {
			// Joining a group receives what is sent to it: --allow-net's.
			if t, ok := L.Get(3).(*lua.LTable); ok {
				s.host.CheckNet(L, "joining", lua.LVAsString(t.RawGetString("multiaddr")), 0)
			}
		}
		r, _ := ls.sock()
		v, ok := o.fn(a, r, set)
		if !ok {
			return bind.Fail(L, failed)
		}
		L.Push(v)
		return 1
	}
}
