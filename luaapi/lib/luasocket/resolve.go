package luasocket

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// gaiError is a name resolution failure, worded as LuaSocket words
// getaddrinfo's errors.
type gaiError string

func (e gaiError) Error() string { return string(e) }

const (
	gaiNoName = gaiError("host or service not provided, or not known")
	gaiAgain  = gaiError("temporary failure in name resolution")
	// gaiNumeric is the C library's own text, which LuaSocket's sendto
	// passes on when given a name where it wants an address.
	gaiNumeric = gaiError("Name or service not known")
)

// lsPort reads a service: a port number or a name from the services
// database.
func lsPort(serv string, tcp bool) (int, error) {
	if serv == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(serv, 10, 16); err == nil {
		return int(n), nil
	}
	network := "udp"
	if tcp {
		network = "tcp"
	}
	p, err := net.LookupPort(network, serv)
	if err != nil {
		return 0, gaiNoName
	}
	return p, nil
}

// lsResolve resolves host and serv as LuaSocket's calls to getaddrinfo do:
// family limits the addresses (AF_UNSPEC: any), passive makes "*" the
// wildcard address (for bind), numeric refuses names.
func lsResolve(ctx context.Context, host, serv string, family int, passive, numeric, tcp bool) ([]netip.AddrPort, error) {
	port, err := lsPort(serv, tcp)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	switch {
	case passive && host == "*":
		if family != sock.FamilyIPv6 {
			addrs = append(addrs, netip.IPv4Unspecified())
		}
		if family != sock.FamilyIPv4 {
			addrs = append(addrs, netip.IPv6Unspecified())
		}
	case host == "":
		return nil, gaiNoName
	default:
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
			break
		}
		if numeric {
			return nil, gaiNumeric
		}
		network := "ip"
		switch family {
		case sock.FamilyIPv4:
			network = "ip4"
		case sock.FamilyIPv6:
			network = "ip6"
		}
		found, err := sock.LookupNetIP(ctx, network, host)
		if err != nil {
			var dns *net.DNSError
			if errors.As(err, &dns) && (dns.IsTimeout || dns.IsTemporary) {
				return nil, gaiAgain
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, gaiNoName
		}
		addrs = found
	}
	var out []netip.AddrPort
	for _, a := range addrs {
		a = a.Unmap()
		if family == sock.FamilyIPv4 && !a.Is4() || family == sock.FamilyIPv6 && a.Is4() {
			continue
		}
		out = append(out, netip.AddrPortFrom(a, uint16(port)))
	}
	if len(out) == 0 {
		return nil, gaiError("ai_family not supported")
	}
	return out, nil
}

// familyName is LuaSocket's name of an address's family.
func familyName(a netip.Addr) string {
	if a.Is4() {
		return "inet"
	}
	return "inet6"
}

// The socket.dns functions.

func lsToIP(s *State, L *lua.LState) int {
	return lsHost(s, L, "toip", false)
}

func lsToHostname(s *State, L *lua.LState) int {
	return lsHost(s, L, "tohostname", true)
}

// lsHost is toip and tohostname: gethostbyname, or gethostbyaddr for an
// IPv4 address, and what it found.
func lsHost(s *State, L *lua.LState, fn string, name bool) int {
	a := bind.Args{L: L, Fn: fn}
	address := a.CheckString(1)
	ctx := bind.Context(L)
	var canon string
	var ips []string
	var err error
	s.host.Block(L, func() func() {
		if ip, perr := netip.ParseAddr(address); perr == nil && ip.Is4() {
			names, lerr := net.DefaultResolver.LookupAddr(ctx, address)
			if lerr != nil || len(names) == 0 {
				err = gaiNoName
				return nil
			}
			canon = strings.TrimSuffix(names[0], ".")
			ips = []string{address}
			return nil
		}
		found, lerr := sock.LookupNetIP(ctx, "ip4", address)
		if lerr != nil || len(found) == 0 {
			err = gaiNoName
			return nil
		}
		canon = address
		if c, cerr := net.DefaultResolver.LookupCNAME(ctx, address); cerr == nil && c != "" {
			canon = strings.TrimSuffix(c, ".")
		}
		for _, ip := range found {
			ips = append(ips, ip.Unmap().String())
		}
		return nil
	})
	if err != nil {
		return bind.Fail(L, "host not found")
	}
	info := L.NewTable()
	info.RawSetString("name", lua.LString(canon))
	info.RawSetString("alias", L.NewTable())
	list := L.NewTable()
	for _, ip := range ips {
		list.Append(lua.LString(ip))
	}
	info.RawSetString("ip", list)
	if name {
		L.Push(lua.LString(canon))
	} else {
		L.Push(lua.LString(ips[0]))
	}
	L.Push(info)
	return 2
}

func lsGetaddrinfo(s *State, L *lua.LState) int {
	a := bind.Args{L: L, Fn: "getaddrinfo"}
	host := a.CheckString(1)
	var found []netip.AddrPort
	var err error
	ctx := bind.Context(L)
	s.host.Block(L, func() func() {
		found, err = lsResolve(ctx, host, "", sock.FamilyUnspec, false, false, true)
		return nil
	})
	if err != nil {
		return bind.Fail(L, lsError(err))
	}
	t := L.NewTable()
	for _, ap := range found {
		e := L.NewTable()
		e.RawSetString("family", lua.LString(familyName(ap.Addr())))
		e.RawSetString("addr", lua.LString(ap.Addr().String()))
		t.Append(e)
	}
	L.Push(t)
	return 1
}

func lsGetnameinfo(s *State, L *lua.LState) int {
	a := bind.Args{L: L, Fn: "getnameinfo"}
	host, hasHost := a.OptString(1, "")
	serv, hasServ := a.OptString(2, "")
	if !hasHost && !hasServ {
		L.RaiseError("host and serv cannot be both nil")
	}
	ctx := bind.Context(L)
	var names []string
	var service string
	var err error
	s.host.Block(L, func() func() {
		if hasServ {
			port, perr := lsPort(serv, true)
			if perr != nil {
				err = perr
				return nil
			}
			service = serviceName(port)
		}
		if !hasHost {
			return nil
		}
		var found []netip.AddrPort
		found, err = lsResolve(ctx, host, "", sock.FamilyUnspec, false, false, true)
		for _, ap := range found {
			n := ap.Addr().String()
			if r, lerr := net.DefaultResolver.LookupAddr(ctx, n); lerr == nil && len(r) > 0 {
				n = strings.TrimSuffix(r[0], ".")
			}
			names = append(names, n)
		}
		return nil
	})
	if err != nil {
		return bind.Fail(L, lsError(err))
	}
	t := L.NewTable()
	for _, n := range names {
		t.Append(lua.LString(n))
	}
	L.Push(t)
	if hasServ {
		L.Push(lua.LString(service))
		return 2
	}
	return 1
}

func lsGethostname(s *State, L *lua.LState) int {
	name, err := os.Hostname()
	if err != nil {
		return bind.Fail(L, lsError(err))
	}
	L.Push(lua.LString(name))
	return 1
}

var (
	servicesOnce sync.Once
	services     map[int]string
)

// serviceName is the name of a TCP port in the services database, or its
// number.
func serviceName(port int) string {
	servicesOnce.Do(func() {
		services = map[int]string{}
		f, err := os.Open("/etc/services")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
			if len(fields) < 2 || !strings.HasSuffix(fields[1], "/tcp") {
				continue
			}
			if p, err := strconv.Atoi(strings.TrimSuffix(fields[1], "/tcp")); err == nil {
				if _, ok := services[p]; !ok {
					services[p] = fields[0]
				}
			}
		}
	})
	if n, ok := services[port]; ok {
		return n
	}
	return strconv.Itoa(port)
}

var lsDNSFuncs = map[string]func(*State, *lua.LState) int{
	"toip":        lsToIP,
	"tohostname":  lsToHostname,
	"getaddrinfo": lsGetaddrinfo,
	"getnameinfo": lsGetnameinfo,
	"gethostname": lsGethostname,
}
