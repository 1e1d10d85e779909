package luaapi

import (
	"fmt"
	"strings"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/lib/binary"
	lua "github.com/yuin/gopher-lua"
)

// openBase adapts the standard library to a session: output goes to the
// session's writers, os.exit unwinds instead of killing the process, and
// coroutines stay interruptible. Then it registers sockshell's functions.
func (s *Session) openBase() {
	L := s.main
	L.SetGlobal("print", L.NewFunction(s.lPrint))
	L.SetGlobal("error", L.NewFunction(lError))
	s.openStreams()
	os := L.GetGlobal("os").(*lua.LTable)
	os.RawSetString("exit", L.NewFunction(s.lExit))
	s.openCoroutines()
	collect := L.GetGlobal("collectgarbage").(*lua.LFunction).GFunction
	L.SetGlobal("collectgarbage", L.NewFunction(func(L *lua.LState) int {
		collecting := L.Get(1) == lua.LNil || L.Get(1) == lua.LString("collect")
		n := collect(L)
		if collecting {
			// Sockets that Lua can no longer reach are closed now.
			s.sockets.sweep()
		}
		return n
	}))
	for _, lib := range libraries {
		if lib.methods {
			continue
		}
		for _, f := range lib.funcs {
			if f.fn == nil {
				continue // made by its library's Open
			}
			lf := s.bind(f)
			s.setGlobalPath(f.doc.Name, lf)
			s.docsByFn[lf] = f.doc
		}
	}
}

// bind makes the Lua function for f. A Go panic in it (a bug) becomes a
// Lua error that says so, and the session goes on.
func (s *Session) bind(f libFunc) *lua.LFunction {
	fn, name := f.fn, f.doc.Name
	return s.main.NewFunction(func(L *lua.LState) int {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(*lua.ApiError); ok {
					panic(r)
				}
				L.Error(lua.LString(bind.Where(L)+internalError(fmt.Sprintf("%s: %v", name, r))), 0)
			}
		}()
		return fn(s, L)
	})
}

// setGlobalPath sets a global, or a field of a global table for a dotted
// name ("bit32.band"), making the table if needed.
func (s *Session) setGlobalPath(name string, v lua.LValue) {
	dot := strings.IndexByte(name, '.')
	if dot < 0 {
		s.main.SetGlobal(name, v)
		return
	}
	t, ok := s.main.GetGlobal(name[:dot]).(*lua.LTable)
	if !ok {
		t = s.main.NewTable()
		s.main.SetGlobal(name[:dot], t)
	}
	t.RawSetString(name[dot+1:], v)
}

// lError is error(message [, level]) with Lua's levels: gopher-lua's
// counts the frame of error itself, so that its level 2 names the same
// place as level 1 instead of the caller of the function that raised.
func lError(L *lua.LState) int {
	obj := L.Get(1) // error() raises nil, as in Lua
	level := L.OptInt(2, 1)
	if msg, ok := obj.(lua.LString); ok && level > 0 {
		if pos := L.Where(level); pos != "" && !strings.HasPrefix(pos, "[G]") {
			obj = lua.LString(pos + " " + string(msg))
		}
	}
	L.Error(obj, 0)
	return 0
}

// lPrint is print writing to the session's stdout, one Write per call so
// that lines from different sources never interleave mid-line.
func (s *Session) lPrint(L *lua.LState) int {
	n := L.GetTop()
	b, owned := s.printBuf.Take()
	if owned {
		// An error in a __tostring must not leave the buffer taken.
		defer func() { s.printBuf.Give(b) }()
	}
	for i := 1; i <= n; i++ {
		if i > 1 {
			b = append(b, '\t')
		}
		b = append(b, bind.ToString(L, L.Get(i), "print")...)
	}
	b = append(b, '\n')
	s.stdout.Write(b)
	return 0
}

// lExit is os.exit([code]): it records the code and ends the session's
// context, so that every chunk and task unwinds (pcall cannot stop that);
// the caller of Session.Call gets an *ExitError, closes the sockets and
// restores the terminal.
func (s *Session) lExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case *lua.LNilType:
	default:
		code = bind.Args{L: L, Fn: "exit"}.IntIn(1, v, "code", -1<<31, 1<<31-1)
	}
	s.exit(code)
	L.RaiseError("exit")
	return 0
}

// openCoroutines adapts the coroutine library to threads that run on
// several goroutines, one at a time:
//   - a coroutine runs under the context of whoever resumes it (its
//     chunk's or its task's), not of the chunk that created it;
//   - a coroutine blocked in a call on one task's goroutine cannot be
//     resumed from another ("cannot resume non-suspended coroutine");
//   - coroutine.yield() in a task's own function (not inside a coroutine)
//     lets the other ready tasks run, then goes on;
//   - coroutine.yield in tail position (return coroutine.yield(x)) works:
//     gopher-lua v1.1.2 corrupts the coroutine when a Go function that
//     yields is tail-called, so yield is a Lua function that calls the Go
//     one in an ordinary call.
func (s *Session) openCoroutines() {
	L := s.main
	co := L.GetGlobal("coroutine").(*lua.LTable)
	create := co.RawGetString("create").(*lua.LFunction).GFunction
	resume := co.RawGetString("resume").(*lua.LFunction).GFunction
	status := co.RawGetString("status").(*lua.LFunction).GFunction
	newCo := func(L *lua.LState) int {
		ctx := L.RemoveContext() // so that no context is derived from it
		defer setContext(L, ctx)
		return create(L)
	}
	resumeCo := func(L *lua.LState) int {
		th := L.CheckThread(1)
		if s.sched.running[th] {
			L.Push(lua.LFalse)
			L.Push(lua.LString("cannot resume non-suspended coroutine"))
			return 2
		}
		setContext(th, L.Context())
		s.sched.running[th] = true
		defer delete(s.sched.running, th)
		return resume(L)
	}
	co.RawSetString("create", L.NewFunction(newCo))
	co.RawSetString("resume", L.NewFunction(resumeCo))
	co.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int {
		newCo(L)
		th := L.ToThread(-1)
		L.Push(L.NewFunction(func(L *lua.LState) int {
			L.Insert(th, 1)
			n := resumeCo(L)
			top := L.GetTop()
			if L.Get(top-n+1) == lua.LFalse {
				L.Error(L.Get(top-n+2), 0)
			}
			return n - 1
		}))
		return 1
	}))
	co.RawSetString("status", L.NewFunction(func(L *lua.LState) int {
		if th := L.CheckThread(1); s.sched.running[th] && L.G.CurrentThread != th {
			L.Push(lua.LString("normal"))
			return 1
		}
		return status(L)
	}))
	yield := L.NewFunction(func(L *lua.LState) int {
		if L.Parent == nil {
			if L != s.main {
				// A task's own thread, not a coroutine resumed by anyone.
				s.sched.giveWay(L)
				return 0
			}
			L.Error(lua.LString(bind.Where(L)+"attempt to yield from outside a coroutine"), 0)
		}
		// gopher-lua cannot resume a coroutine that yielded from under a
		// Go function (pcall, table.sort, gsub, require…): it would
		// crash later. Say so now, as Lua 5.1 does. Levels 0 and 1 are
		// this function and the Lua one around it.
		for level := 2; ; level++ {
			dbg, ok := L.GetStack(level)
			if !ok {
				break
			}
			if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What == "G" {
				L.Error(lua.LString(bind.Where(L)+"attempt to yield across a Go call boundary (pcall, table.sort, string.gsub, require…): "+
					"yield outside it, or use a task, where blocking calls work everywhere"), 0)
			}
		}
		return -1 // gopher-lua's yield
	})
	fn, err := s.Compile(`local yield = ...
local function pass(...) return ... end
return function(...) return pass(yield(...)) end`, bind.YieldChunk)
	if err != nil {
		panic(err)
	}
	L.Push(fn)
	L.Push(yield)
	L.Call(1, 1)
	co.RawSetString("yield", L.Get(-1))
	L.Pop(1)
}

// openBinary puts pack, unpack and packsize in the string library too.
func (s *Session) openBinary() {
	str := s.main.GetGlobal("string").(*lua.LTable)
	for _, name := range []string{"pack", "packsize"} {
		str.RawSetString(name, s.main.GetGlobal(name))
	}
	str.RawSetString("unpack", s.main.NewFunction(binary.StringUnpack))
}
