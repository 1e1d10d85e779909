package lua

import (
	"strings"
)

func OpenDebug(L *LState) int {
	dbgmod := L.RegisterModule(DebugLibName, debugFuncs)
	L.Push(dbgmod)
	return 1
}

var debugFuncs = map[string]LGFunction{
	"getfenv":      debugGetFEnv,
	"gethook":      debugGetHook51, // sockshell: sockshell_lua51.go
	"sethook":      debugSetHook51, // sockshell: sockshell_lua51.go
	"getinfo":      debugGetInfo51, // sockshell: sockshell_lua51.go
	"getlocal":     debugGetLocal,
	"getregistry":  debugGetRegistry51, // sockshell: sockshell_lua51.go
	"getmetatable": debugGetMetatable,
	"getupvalue":   debugGetUpvalue,
	"setfenv":      debugSetFEnv,
	"setlocal":     debugSetLocal,
	"setmetatable": debugSetMetatable,
	"setupvalue":   debugSetUpvalue,
	"traceback":    debugTraceback,
}

func debugGetFEnv(L *LState) int {
	L.Push(L.GetFEnv(L.CheckAny(1)))
	return 1
}

func debugGetInfo(L *LState) int {
	L.CheckTypes(1, LTFunction, LTNumber)
	arg1 := L.Get(1)
	what := L.OptString(2, "Slunf")
	var dbg *Debug
	var fn LValue
	var err error
	var ok bool
	switch lv := arg1.(type) {
	case *LFunction:
		dbg = &Debug{}
		fn, err = L.GetInfo(">"+what, dbg, lv)
	case LNumber:
		dbg, ok = L.GetStack(int(lv))
		if !ok {
			L.Push(LNil)
			return 1
		}
		fn, err = L.GetInfo(what, dbg, LNil)
	}

	if err != nil {
		L.Push(LNil)
		return 1
	}
	tbl := L.NewTable()
	if len(dbg.Name) > 0 {
		tbl.RawSetString("name", LString(dbg.Name))
	} else {
		tbl.RawSetString("name", LNil)
	}
	tbl.RawSetString("what", LString(dbg.What))
	tbl.RawSetString("source", LString(dbg.Source))
	tbl.RawSetString("currentline", LNumber(dbg.CurrentLine))
	tbl.RawSetString("nups", LNumber(dbg.NUpvalues))
	tbl.RawSetString("linedefined", LNumber(dbg.LineDefined))
	tbl.RawSetString("lastlinedefined", LNumber(dbg.LastLineDefined))
	tbl.RawSetString("func", fn)
	L.Push(tbl)
	return 1
}

func debugGetLocal(L *LState) int {
	th, a := debugThread(L) // sockshell: getlocal([thread,] level, local)
	level := L.CheckInt(a + 1)
	idx := L.CheckInt(a + 2)
	dbg, ok := th.GetStack(level)
	if !ok {
		L.ArgError(a+1, "level out of range")
	}
	name, value := th.GetLocal(dbg, idx)
	if len(name) > 0 {
		L.Push(LString(name))
		L.Push(value)
		return 2
	}
	L.Push(LNil)
	return 1
}

func debugGetMetatable(L *LState) int {
	L.Push(L.GetMetatable(L.CheckAny(1)))
	return 1
}

func debugGetUpvalue(L *LState) int {
	fn := L.CheckFunction(1)
	idx := L.CheckInt(2)
	name, value := L.GetUpvalue(fn, idx)
	if len(name) > 0 {
		L.Push(LString(name))
		L.Push(value)
		return 2
	}
	L.Push(LNil)
	return 1
}

func debugSetFEnv(L *LState) int {
	L.SetFEnv(L.CheckAny(1), L.CheckAny(2))
	return 0
}

func debugSetLocal(L *LState) int {
	th, a := debugThread(L) // sockshell: setlocal([thread,] level, local, value)
	level := L.CheckInt(a + 1)
	idx := L.CheckInt(a + 2)
	value := L.CheckAny(a + 3)
	dbg, ok := th.GetStack(level)
	if !ok {
		L.ArgError(a+1, "level out of range")
	}
	name := th.SetLocal(dbg, idx, value)
	if len(name) > 0 {
		L.Push(LString(name))
	} else {
		L.Push(LNil)
	}
	return 1
}

func debugSetMetatable(L *LState) int {
	L.CheckTypes(2, LTNil, LTTable)
	obj := L.Get(1)
	mt := L.Get(2)
	L.SetMetatable(obj, mt)
	L.SetTop(1)
	return 1
}

func debugSetUpvalue(L *LState) int {
	fn := L.CheckFunction(1)
	idx := L.CheckInt(2)
	value := L.CheckAny(3)
	name := L.SetUpvalue(fn, idx, value)
	if len(name) > 0 {
		L.Push(LString(name))
	} else {
		L.Push(LNil)
	}
	return 1
}

func debugTraceback(L *LState) int {
	// sockshell: debug.traceback([thread,] [message [, level]]) as in Lua
	// 5.1: a message that is neither a string nor a number is returned as
	// it is, so that xpcall(f, debug.traceback) keeps an error object.
	ls, arg := L, 0
	if l, ok := L.Get(1).(*LState); ok {
		ls, arg = l, 1
	}
	msg := ""
	if L.GetTop() > arg {
		switch v := L.Get(arg + 1).(type) {
		case LString:
			msg = string(v) + "\n"
		case LNumber:
			msg = v.String() + "\n"
		default:
			L.Push(v)
			return 1
		}
	}
	level := L.OptInt(arg+2, 1)
	if ls != L {
		level = L.OptInt(arg+2, 0)
	}
	L.Push(LString(msg + strings.TrimSpace(ls.stackTrace(level))))
	return 1
}
