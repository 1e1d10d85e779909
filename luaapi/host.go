package luaapi

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/sock"
)

var hostFuncs = []libFunc{
	{&bind.Doc{
		Name:    "hostinfo",
		Forms:   []string{"hostinfo()"},
		Summary: "Tells the host's name, IP address and MAC address, as the chapter's `gethostbyname(gethostname())` and `uuid.getnode()` do, and lists its interfaces.",
		Returns: "a table: `hostname`; `ip`, what the host name resolves to when an up interface has that address, else the first non-loopback IPv4 address of an up interface, else `\"127.0.0.1\"`; `ip_source`, which of those it is (`\"hostname\"`, `\"interface\"` or `\"loopback\"`); `mac`, `\"aa:bb:cc:dd:ee:ff\"` of the interface carrying `ip`, or nil; `interfaces`, a list of `{name=, mac=, mtu=, up=, loopback=, addrs={\"192.0.2.5/24\", …}}`.",
		Errors:  "`nil, message` when the interfaces cannot be listed.",
		Example: `local h = hostinfo()
print(h.hostname, h.ip, h.ip_source, h.mac)
for _, i in ipairs(h.interfaces) do print(i.name, i.up, table.concat(i.addrs, " ")) end`,
	}, (*Session).lHostinfo},
}

func (s *Session) lHostinfo(L *lua.LState) int {
	// Resolving the host's own name may ask a DNS server: wait for it as
	// for any I/O.
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	var (
		h   sock.HostInfo
		err error
	)
	s.block(L, func() func() { h, err = sock.Host(ctx); return nil })
	raiseIfDone(L, ctx)
	if err != nil {
		return bind.Fail(L, bind.Failure(err, "interfaces"))
	}
	L.Push(s.hostTable(L, h))
	return 1
}

// hostTable is hostinfo's result for h.
func (s *Session) hostTable(L *lua.LState, h sock.HostInfo) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("hostname", lua.LString(h.Hostname))
	t.RawSetString("ip", lua.LString(h.IP.String()))
	t.RawSetString("ip_source", lua.LString(h.IPSource))
	if h.MAC != "" {
		t.RawSetString("mac", lua.LString(h.MAC))
	}
	list := L.NewTable()
	for _, it := range h.Interfaces {
		i := L.NewTable()
		i.RawSetString("name", lua.LString(it.Name))
		if it.MAC != "" {
			i.RawSetString("mac", lua.LString(it.MAC))
		}
		i.RawSetString("mtu", lua.LNumber(it.MTU))
		i.RawSetString("up", lua.LBool(it.Up))
		i.RawSetString("loopback", lua.LBool(it.Loopback))
		addrs := L.NewTable()
		for _, p := range it.Addrs {
			addrs.Append(lua.LString(p.String()))
		}
		i.RawSetString("addrs", addrs)
		list.Append(i)
	}
	t.RawSetString("interfaces", list)
	return t
}

// started is when the process began, for now().
var started = time.Now()

var timeFuncs = []libFunc{
	{&bind.Doc{
		Name:    "now",
		Forms:   []string{"now()"},
		Summary: "Seconds on a monotonic clock, with sub-microsecond precision: the difference of two readings is the time between them, whatever happens to the wall clock. For round trips; `os.time()` is the date, `os.clock()` the CPU time used.",
		Returns: "a number of seconds (since sockshell started).",
		Errors:  "None.",
		Example: `local t0 = now()
sleep(0.01)
print(now() - t0 >= 0.01)  --> true`,
	}, func(_ *Session, L *lua.LState) int {
		L.Push(lua.LNumber(time.Since(started).Seconds()))
		return 1
	}},
}
