package luaapi

import (
	"net/netip"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// LuaSocket's socket options, by the names setoption and getoption take.

// lsOption sets (v is the value argument's index) or gets one option of
// fd; it returns the Lua result, or false when the system call failed.
type lsOption func(a args, fd int, set bool) (lua.LValue, bool)

// boolOpt is an on/off option.
func boolOpt(level, opt int) lsOption {
	return func(a args, fd int, set bool) (lua.LValue, bool) {
		if set {
			v, ok := a.L.Get(3).(lua.LBool)
			if !ok {
				a.raise(3, "boolean expected, got %s", a.typeAt(3))
			}
			on := 0
			if v {
				on = 1
			}
			return lua.LNumber(1), unix.SetsockoptInt(fd, level, opt, on) == nil
		}
		v, err := unix.GetsockoptInt(fd, level, opt)
		return lua.LBool(v != 0), err == nil
	}
}

// intOpt is a numeric option.
func intOpt(level, opt int) lsOption {
	return func(a args, fd int, set bool) (lua.LValue, bool) {
		if set {
			// As LuaSocket: what is not a number is 0.
			f, _ := toNumber(a.L.Get(3))
			return lua.LNumber(1), unix.SetsockoptInt(fd, level, opt, int(f)) == nil
		}
		v, err := unix.GetsockoptInt(fd, level, opt)
		return lua.LNumber(v), err == nil
	}
}

// tableArg is argument n, which must be a table.
func tableArg(a args, n int) *lua.LTable {
	t, ok := a.L.Get(n).(*lua.LTable)
	if !ok {
		a.raise(n, "table expected, got %s", a.typeAt(n))
	}
	return t
}

// lingerOpt is SO_LINGER, as a table {on = boolean, timeout = seconds}.
func lingerOpt(a args, fd int, set bool) (lua.LValue, bool) {
	if set {
		t := tableArg(a, 3)
		on, ok := t.RawGetString("on").(lua.LBool)
		if !ok {
			a.raise(3, "boolean 'on' field expected")
		}
		secs, ok := toNumber(t.RawGetString("timeout"))
		if !ok {
			a.raise(3, "number 'timeout' field expected")
		}
		l := unix.Linger{Linger: int32(secs)}
		if on {
			l.Onoff = 1
		}
		return lua.LNumber(1), unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &l) == nil
	}
	l, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
	if err != nil {
		return nil, false
	}
	t := a.L.NewTable()
	t.RawSetString("on", lua.LBool(l.Onoff != 0))
	t.RawSetString("timeout", lua.LNumber(l.Linger))
	return t, true
}

// errorOpt reads SO_ERROR: nil when there is none.
func errorOpt(a args, fd int, set bool) (lua.LValue, bool) {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return nil, false
	}
	if v == 0 {
		return lua.LNil, true
	}
	return lua.LString(lsError(unix.Errno(v))), true
}

// ipv4Field reads an IPv4 address from field name of a table argument.
func ipv4Field(a args, t *lua.LTable, name string, any bool) [4]byte {
	v, ok := t.RawGetString(name).(lua.LString)
	if !ok {
		if n, isNum := t.RawGetString(name).(lua.LNumber); isNum {
			v, ok = lua.LString(n.String()), true
		}
	}
	if !ok {
		a.raise(3, "string '%s' field expected", name)
	}
	if any && v == "*" {
		return [4]byte{}
	}
	ip, err := netip.ParseAddr(string(v))
	if err != nil || !ip.Is4() {
		a.raise(3, "invalid '%s' ip address", name)
	}
	return ip.As4()
}

// membershipOpt joins or leaves an IPv4 group: {multiaddr=, interface=}.
func membershipOpt(opt int) lsOption {
	return func(a args, fd int, set bool) (lua.LValue, bool) {
		t := tableArg(a, 3)
		m := unix.IPMreq{Multiaddr: ipv4Field(a, t, "multiaddr", false), Interface: ipv4Field(a, t, "interface", true)}
		return lua.LNumber(1), unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, opt, &m) == nil
	}
}

// membership6Opt joins or leaves an IPv6 group: {multiaddr=, interface=
// index}.
func membership6Opt(opt int) lsOption {
	return func(a args, fd int, set bool) (lua.LValue, bool) {
		t := tableArg(a, 3)
		s, ok := t.RawGetString("multiaddr").(lua.LString)
		if !ok {
			a.raise(3, "string 'multiaddr' field expected")
		}
		ip, err := netip.ParseAddr(string(s))
		if err != nil || !ip.Is6() {
			a.raise(3, "invalid 'multiaddr' ip address")
		}
		m := unix.IPv6Mreq{Multiaddr: ip.As16()}
		switch v := t.RawGetString("interface").(type) {
		case *lua.LNilType:
		case lua.LNumber:
			m.Interface = uint32(v)
		default:
			a.raise(3, "number 'interface' field expected")
		}
		return lua.LNumber(1), unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, opt, &m) == nil
	}
}

// multicastIfOpt is IP_MULTICAST_IF, as an address ("*" for any).
func multicastIfOpt(a args, fd int, set bool) (lua.LValue, bool) {
	if set {
		s := a.checkString(3)
		var addr [4]byte
		if s != "*" {
			ip, err := netip.ParseAddr(s)
			if err != nil || !ip.Is4() {
				a.raise(3, "ip expected")
			}
			addr = ip.As4()
		}
		return lua.LNumber(1), unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, addr) == nil
	}
	addr, err := unix.GetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF)
	return lua.LString(netip.AddrFrom4(addr).String()), err == nil
}

var tcpSetOptions = map[string]lsOption{
	"keepalive":        boolOpt(unix.SOL_SOCKET, unix.SO_KEEPALIVE),
	"reuseaddr":        boolOpt(unix.SOL_SOCKET, unix.SO_REUSEADDR),
	"reuseport":        boolOpt(unix.SOL_SOCKET, unix.SO_REUSEPORT),
	"tcp-nodelay":      boolOpt(unix.IPPROTO_TCP, unix.TCP_NODELAY),
	"ipv6-v6only":      boolOpt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY),
	"linger":           lingerOpt,
	"recv-buffer-size": intOpt(unix.SOL_SOCKET, unix.SO_RCVBUF),
	"send-buffer-size": intOpt(unix.SOL_SOCKET, unix.SO_SNDBUF),
}

var tcpGetOptions = map[string]lsOption{
	"keepalive":        boolOpt(unix.SOL_SOCKET, unix.SO_KEEPALIVE),
	"reuseaddr":        boolOpt(unix.SOL_SOCKET, unix.SO_REUSEADDR),
	"reuseport":        boolOpt(unix.SOL_SOCKET, unix.SO_REUSEPORT),
	"tcp-nodelay":      boolOpt(unix.IPPROTO_TCP, unix.TCP_NODELAY),
	"linger":           lingerOpt,
	"error":            errorOpt,
	"recv-buffer-size": intOpt(unix.SOL_SOCKET, unix.SO_RCVBUF),
	"send-buffer-size": intOpt(unix.SOL_SOCKET, unix.SO_SNDBUF),
}

var udpSetOptions = map[string]lsOption{
	"dontroute":            boolOpt(unix.SOL_SOCKET, unix.SO_DONTROUTE),
	"broadcast":            boolOpt(unix.SOL_SOCKET, unix.SO_BROADCAST),
	"reuseaddr":            boolOpt(unix.SOL_SOCKET, unix.SO_REUSEADDR),
	"reuseport":            boolOpt(unix.SOL_SOCKET, unix.SO_REUSEPORT),
	"ip-multicast-if":      multicastIfOpt,
	"ip-multicast-ttl":     intOpt(unix.IPPROTO_IP, unix.IP_MULTICAST_TTL),
	"ip-multicast-loop":    boolOpt(unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP),
	"ip-add-membership":    membershipOpt(unix.IP_ADD_MEMBERSHIP),
	"ip-drop-membership":   membershipOpt(unix.IP_DROP_MEMBERSHIP),
	"ipv6-unicast-hops":    intOpt(unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS),
	"ipv6-multicast-hops":  intOpt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS),
	"ipv6-multicast-loop":  boolOpt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP),
	"ipv6-add-membership":  membership6Opt(unix.IPV6_JOIN_GROUP),
	"ipv6-drop-membership": membership6Opt(unix.IPV6_LEAVE_GROUP),
	"ipv6-v6only":          boolOpt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY),
	"recv-buffer-size":     intOpt(unix.SOL_SOCKET, unix.SO_RCVBUF),
	"send-buffer-size":     intOpt(unix.SOL_SOCKET, unix.SO_SNDBUF),
}

var udpGetOptions = map[string]lsOption{
	"dontroute":           boolOpt(unix.SOL_SOCKET, unix.SO_DONTROUTE),
	"broadcast":           boolOpt(unix.SOL_SOCKET, unix.SO_BROADCAST),
	"reuseaddr":           boolOpt(unix.SOL_SOCKET, unix.SO_REUSEADDR),
	"reuseport":           boolOpt(unix.SOL_SOCKET, unix.SO_REUSEPORT),
	"ip-multicast-if":     multicastIfOpt,
	"ip-multicast-ttl":    intOpt(unix.IPPROTO_IP, unix.IP_MULTICAST_TTL),
	"ip-multicast-loop":   boolOpt(unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP),
	"error":               errorOpt,
	"ipv6-unicast-hops":   intOpt(unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS),
	"ipv6-multicast-hops": intOpt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS),
	"ipv6-multicast-loop": boolOpt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP),
	"ipv6-v6only":         boolOpt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY),
	"recv-buffer-size":    intOpt(unix.SOL_SOCKET, unix.SO_RCVBUF),
	"send-buffer-size":    intOpt(unix.SOL_SOCKET, unix.SO_SNDBUF),
}

// lsOptionMethod is setoption (set) or getoption, over opts.
func lsOptionMethod(group string, opts map[string]lsOption, set bool) func(*Session, *lua.LState) int {
	name, failed := "getoption", "getsockopt failed"
	if set {
		name, failed = "setoption", "setsockopt failed"
	}
	return func(s *Session, L *lua.LState) int {
		ls := lsCheck(L, name, group)
		a := lsArgs(L, name)
		opt, ok := opts[a.checkString(2)]
		if !ok {
			a.raise(2, "unsupported option `%s'", a.checkString(2))
		}
		if set && strings.HasSuffix(a.checkString(2), "-add-membership") && s.sandbox != nil {
			// Joining a group receives what is sent to it: --allow-net's.
			if t, ok := L.Get(3).(*lua.LTable); ok {
				s.netDenied(L, "joining", lua.LVAsString(t.RawGetString("multiaddr")), 0)
			}
		}
		v, ok := opt(a, ls.getfd(), set)
		if !ok {
			return pushNilErr(L, failed)
		}
		L.Push(v)
		return 1
	}
}
