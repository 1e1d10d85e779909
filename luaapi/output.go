package luaapi

import (
	"io"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// fileClass is the metatable name of io.stdout and io.stderr in a session.
const fileClass = "sockshell.stream"

// stream is a write-only file that writes to one of the session's writers.
// gopher-lua's own io.stdout writes to the process's stdout directly, which
// would bypass the shell's writer and mangle the prompt.
type stream struct {
	name string
	w    io.Writer
}

// openStreams replaces io.stdout, io.stderr, io.write and io.output with
// versions over the session's writers. io.output(file) still redirects
// io.write to a real file.
func (s *Session) openStreams() {
	L := s.main
	iolib := L.GetGlobal("io").(*lua.LTable)
	mt := L.NewTypeMetatable(fileClass)
	methods := L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"write": streamWrite,
		"flush": func(L *lua.LState) int {
			flush(checkFileStream(L).w)
			L.Push(lua.LTrue)
			return 1
		},
		"setvbuf": func(L *lua.LState) int { checkFileStream(L); L.Push(lua.LTrue); return 1 },
		"close": func(L *lua.LState) int {
			checkFileStream(L)
			L.Push(lua.LNil)
			L.Push(lua.LString("cannot close standard file"))
			return 2
		},
	})
	mt.RawSetString("__index", methods)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("file (" + checkFileStream(L).name + ")"))
		return 1
	}))
	mt.RawSetString("__gc", L.NewFunction(streamGC))
	newStream := func(name string, w io.Writer) *lua.LUserData {
		ud := L.NewUserData()
		ud.Value = &stream{name, w}
		ud.Metatable = mt
		return ud
	}
	stdout := newStream("stdout", s.stdout)
	iolib.RawSetString("stdout", stdout)
	iolib.RawSetString("stderr", newStream("stderr", s.stderr))
	// io.type knows them, and io.stdin, as files.
	origType := iolib.RawGetString("type")
	iolib.RawSetString("type", L.NewFunction(func(L *lua.LState) int {
		if ud, ok := L.Get(1).(*lua.LUserData); ok && isStream(ud) {
			L.Push(lua.LString("file"))
			return 1
		}
		L.Push(origType)
		L.Push(L.Get(1))
		L.Call(1, 1)
		return 1
	}))

	var out lua.LValue = stdout // the default output file
	iolib.RawSetString("output", defaultFileFunc(L, iolib.RawGetString("output"), &out,
		func(ud *lua.LUserData) bool { return ud.Metatable == mt }))
	origFlush := iolib.RawGetString("flush")
	iolib.RawSetString("flush", L.NewFunction(func(L *lua.LState) int {
		if ud, ok := out.(*lua.LUserData); ok && ud.Metatable == mt {
			flush(ud.Value.(*stream).w)
			return 0
		}
		L.Push(origFlush)
		L.Call(0, 0)
		return 0
	}))
	iolib.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
		L.Insert(out, 1)
		if ud, ok := out.(*lua.LUserData); ok && ud.Metatable == mt {
			return streamWrite(L)
		}
		write := L.GetField(out, "write")
		L.Insert(write, 1)
		L.Call(L.GetTop()-1, lua.MultRet)
		return L.GetTop()
	}))
}

// streamGC is the standard files' __gc, as in Lua 5.1's FILE* metatable:
// it closes nothing (they stay open), and it checks its argument.
func streamGC(L *lua.LState) int {
	if ud, ok := L.Get(1).(*lua.LUserData); !ok || !isStream(ud) {
		got := "no value"
		if L.GetTop() > 0 {
			got = L.Get(1).Type().String()
		}
		L.ArgError(1, "FILE* expected, got "+got)
	}
	return 0
}

// defaultFileFunc makes io.input or io.output over gopher-lua's own, orig:
// *current is the default file, which a call with an argument changes: to
// one of the session's standard files (isStd) as it is, to anything else
// as orig opens or takes it.
func defaultFileFunc(L *lua.LState, orig lua.LValue, current *lua.LValue, isStd func(*lua.LUserData) bool) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 0 {
			if ud, ok := L.Get(1).(*lua.LUserData); ok && isStd(ud) {
				*current = ud
			} else {
				L.Push(orig)
				L.Push(L.Get(1))
				L.Call(1, 1)
				*current = L.Get(-1)
			}
		}
		L.Push(*current)
		return 1
	})
}

// flush writes out what w buffers, if it buffers.
func flush(w io.Writer) {
	if f, ok := w.(interface{ Flush() error }); ok {
		f.Flush()
	}
}

func checkFileStream(L *lua.LState) *stream {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if st, ok := ud.Value.(*stream); ok {
			return st
		}
	}
	bind.Args{L: L, Fn: "write", Base: 1}.Raise(1, "file expected, got %s", bind.Describe(L.Get(1)))
	return nil
}

// streamWrite is file:write(...): strings and numbers, written in one go.
func streamWrite(L *lua.LState) int {
	st := checkFileStream(L)
	n := L.GetTop()
	var buf []byte
	for i := 2; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			buf = append(buf, v...)
		case lua.LNumber:
			buf = append(buf, v.String()...)
		default:
			bind.Args{L: L, Fn: "write", Base: 1}.Raise(i, "string expected, got %s", bind.Describe(v))
		}
	}
	if _, err := st.w.Write(buf); err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(L.Get(1))
	return 1
}

// isStream tells whether ud is one of the session's standard files.
func isStream(ud *lua.LUserData) bool {
	_, ok := ud.Value.(*stream)
	return ok
}
