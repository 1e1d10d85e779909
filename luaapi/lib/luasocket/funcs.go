package luasocket

import (
	"math"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/sock"
)

// The functions of LuaSocket's core module.

var lsFuncs = map[string]func(*State, *lua.LState) int{
	"tcp":      lsCreate(true, sock.FamilyUnspec),
	"tcp4":     lsCreate(true, sock.FamilyIPv4),
	"tcp6":     lsCreate(true, sock.FamilyIPv6),
	"udp":      lsCreate(false, sock.FamilyUnspec),
	"udp4":     lsCreate(false, sock.FamilyIPv4),
	"udp6":     lsCreate(false, sock.FamilyIPv6),
	"connect":  lsConnectFunc,
	"select":   lsSelect,
	"gettime":  lsGettime,
	"sleep":    lsSleep,
	"skip":     lsSkip,
	"newtry":   lsNewtry,
	"protect":  lsProtect,
	"__unload": func(*State, *lua.LState) int { return 0 },
}

// lsCreate makes a master TCP or unconnected UDP object. Of family
// AF_UNSPEC, it has no descriptor until bind, connect or sendto tells
// which family it needs.
func lsCreate(tcp bool, family int) func(*State, *lua.LState) int {
	return func(s *State, L *lua.LState) int {
		ls := newLuaSocket(s, tcp, family)
		if family != sock.FamilyUnspec {
			if err := ls.create(family); err != nil {
				return bind.Fail(L, lsError(err))
			}
		}
		L.Push(s.lsObject(L, ls))
		return 1
	}
}

// lsConnectFunc is socket.connect(address, port [, locaddr [, locport
// [, family]]]).
func lsConnectFunc(s *State, L *lua.LState) int {
	a := bind.Args{L: L, Fn: "connect"}
	address := a.CheckString(1)
	port := a.CheckString(2)
	locaddr, bindLocal := a.OptString(3, "")
	locport, _ := a.OptString(4, "0")
	family := []int{sock.FamilyUnspec, sock.FamilyIPv4, sock.FamilyIPv6}[a.CheckOption(5, "unspec", "unspec", "inet", "inet6")]
	ls := newLuaSocket(s, true, family)
	ud := s.lsObject(L, ls)
	if bindLocal {
		if err := s.lsBind(L, ls, locaddr, locport); err != nil {
			ls.destroy()
			return bind.Fail(L, lsError(err))
		}
		family = ls.family
	}
	ls.markStart()
	if err := s.lsConnect(L, ls, address, port, family); err != nil {
		ls.destroy()
		return bind.Fail(L, lsError(err))
	}
	ls.class = lsClient
	ud.Metatable = s.classes[lsClient]
	L.Push(ud)
	return 1
}

func lsGettime(s *State, L *lua.LState) int {
	L.Push(lua.LNumber(float64(time.Now().UnixNano()) / 1e9))
	return 1
}

// lsSleep is socket.sleep(seconds): other tasks run meanwhile, and Ctrl-C
// ends it.
func lsSleep(s *State, L *lua.LState) int {
	n := bind.Args{L: L, Fn: "sleep"}.CheckNumber(1)
	if !(n > 0) {
		return 0
	}
	n = math.Min(n, math.MaxInt32)
	ctx := bind.Context(L)
	s.host.Block(L, func() func() {
		t := time.NewTimer(time.Duration(n * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return nil
	})
	return 0
}

// lsSkip is socket.skip(d, ...): the arguments after the first d.
func lsSkip(s *State, L *lua.LState) int {
	d := int(bind.Args{L: L, Fn: "skip"}.CheckNumber(1))
	n := L.GetTop() - d - 1
	if n < 0 {
		return 0
	}
	return n
}

// lsNewtry is socket.newtry([finalizer]): a function that returns its
// arguments when the first is true, and otherwise calls the finalizer and
// raises the second wrapped, for protect to catch.
func lsNewtry(s *State, L *lua.LState) int {
	var fin *lua.LFunction
	if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
		fin = L.CheckFunction(1)
	}
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if lua.LVAsBool(L.Get(1)) {
			return L.GetTop()
		}
		if fin != nil {
			L.Push(fin)
			L.Call(0, 0)
		}
		wrapped := L.NewTable()
		wrapped.RawSetInt(1, L.Get(2))
		L.SetMetatable(wrapped, s.try)
		L.Error(wrapped, 0)
		return 0
	}))
	return 1
}

// lsProtect is socket.protect(f): f, whose errors raised by a try function
// are returned as nil, message; other errors go on. As in LuaSocket, f is
// not checked until the result is called.
func lsProtect(s *State, L *lua.LState) int {
	f := L.Get(1)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		L.Insert(f, 1)
		if err := L.PCall(n, lua.MultRet, nil); err != nil {
			if apiErr, ok := err.(*lua.ApiError); ok {
				if t, ok := apiErr.Object.(*lua.LTable); ok && t.Metatable == s.try {
					L.SetTop(0)
					L.Push(lua.LNil)
					L.Push(t.RawGetInt(1))
					return 2
				}
				L.Error(apiErr.Object, 0)
			}
			panic(err)
		}
		return L.GetTop()
	}))
	return 1
}

// lsSelect is socket.select(recvt, sendt [, timeout]).
func lsSelect(s *State, L *lua.LState) int {
	a := bind.Args{L: L, Fn: "select"}
	timeout := a.OptNumber(3, -1)
	type entry struct {
		v  lua.LValue
		fd int
	}
	collect := func(n int) []entry {
		v := L.Get(n)
		if v == lua.LNil {
			return nil
		}
		t, ok := v.(*lua.LTable)
		if !ok {
			a.Raise(n, "table expected, got %s", a.TypeAt(n))
		}
		var out []entry
		for i := 1; ; i++ {
			e := t.RawGetInt(i)
			if e == lua.LNil {
				break
			}
			fd := -1
			if m := L.GetField(e, "getfd"); m != lua.LNil {
				L.Push(m)
				L.Push(e)
				L.Call(1, 1)
				if f, ok := bind.ToNumber(L.Get(-1)); ok && f >= 0 {
					fd = int(f)
				}
				L.Pop(1)
			}
			if fd < 0 {
				continue
			}
			if fd >= 1024 {
				a.Raise(n, "descriptor too large for set size")
			}
			out = append(out, entry{e, fd})
		}
		return out
	}
	isDirty := func(e lua.LValue) bool {
		m := L.GetField(e, "dirty")
		if m == lua.LNil {
			return false
		}
		L.Push(m)
		L.Push(e)
		L.Call(1, 1)
		d := lua.LVAsBool(L.Get(-1))
		L.Pop(1)
		return d
	}
	reads, writes := collect(1), collect(2)
	rt, wt := L.NewTable(), L.NewTable()
	var rfds, wfds []int
	byFD := map[int]lua.LValue{}
	dirty := map[int]bool{}
	for _, e := range reads {
		if isDirty(e.v) {
			rt.Append(e.v)
			dirty[e.fd] = true
			continue
		}
		rfds = append(rfds, e.fd)
		byFD[e.fd] = e.v
	}
	for _, e := range writes {
		wfds = append(wfds, e.fd)
		byFD[e.fd] = e.v
	}
	if rt.Len() > 0 {
		timeout = 0
	}
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(time.Duration(timeout * float64(time.Second)))
	}
	ctx := bind.Context(L)
	readable, writable, err := sock.WaitFDs(ctx, rfds, wfds, time.Now(), nil)
	if err == sock.ErrTimeout && timeout != 0 {
		w := new(sock.Waker)
		s.host.BlockWaking(L, w.Wake, func() func() {
			readable, writable, err = sock.WaitFDs(ctx, rfds, wfds, deadline, w)
			return nil
		})
	}
	if err != nil && err != sock.ErrTimeout && ctx.Err() == nil {
		L.RaiseError("select failed")
	}
	sort.Ints(readable)
	sort.Ints(writable)
	for _, fd := range readable {
		if !dirty[fd] {
			rt.Append(byFD[fd])
		}
	}
	for _, fd := range writable {
		wt.Append(byFD[fd])
	}
	for _, t := range []*lua.LTable{rt, wt} {
		for i := 1; i <= t.Len(); i++ {
			t.RawSet(t.RawGetInt(i), lua.LNumber(i))
		}
	}
	L.Push(rt)
	L.Push(wt)
	if rt.Len() == 0 && wt.Len() == 0 {
		L.Push(lua.LString("timeout"))
		return 3
	}
	return 2
}
