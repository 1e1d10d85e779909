package luaapi

import (
	"fmt"
	"io"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// compile parses and compiles src. Every chunk the session runs is compiled
// here, so that every function is made the same way: gopher-lua v1.1.2
// corrupts a coroutine when a Go function that yields (coroutine.yield,
// or any blocking call in a task) is called in tail position
// (`return s:recvfrom()`), so tail calls become ordinary calls followed by
// a return. The cost is that deep tail recursion uses stack as any
// recursion does (up to the call stack size).
func compile(src, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, syntaxError(err, src, name)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("%s: %v", name, err)}
	}
	untail(proto)
	return proto, nil
}

// untail turns OP_TAILCALL into OP_CALL in proto and the functions in it.
// The compiler emits each tail call with C = 0 (all results) followed by
// RETURN A 0 (return them all), so the opcode is all that changes.
func untail(proto *lua.FunctionProto) {
	for i, inst := range proto.Code {
		if int(inst>>26) == lua.OP_TAILCALL {
			proto.Code[i] = inst&0x3ffffff | uint32(lua.OP_CALL)<<26
		}
	}
	for _, p := range proto.FunctionPrototypes {
		untail(p)
	}
}

// openLoad replaces the ways Lua code compiles code — loadstring, load,
// loadfile, dofile and require's loader for Lua files — with ones that
// use compile.
func (s *Session) openLoad() {
	L := s.L
	L.SetGlobal("loadstring", L.NewFunction(func(L *lua.LState) int {
		a := args{L: L, fn: "loadstring"}
		src := a.str(1, L.Get(1), "chunk")
		return s.pushLoaded(L, src, L.OptString(2, src))
	}))
	L.SetGlobal("load", L.NewFunction(func(L *lua.LState) int {
		a := args{L: L, fn: "load"}
		reader, ok := L.Get(1).(*lua.LFunction)
		if !ok {
			a.raise(1, "function expected, got %s", describe(L.Get(1)))
		}
		var b strings.Builder
		for {
			L.Push(reader)
			L.Call(0, 1)
			piece := L.Get(-1)
			L.Pop(1)
			if piece == lua.LNil || piece.String() == "" {
				break
			}
			if _, ok := piece.(lua.LString); !ok {
				L.Push(lua.LNil)
				L.Push(lua.LString("reader function must return a string"))
				return 2
			}
			b.WriteString(piece.String())
		}
		return s.pushLoaded(L, b.String(), L.OptString(2, "=(load)"))
	}))
	L.SetGlobal("loadfile", L.NewFunction(func(L *lua.LState) int {
		path := "-"
		if L.GetTop() > 0 && L.Get(1) != lua.LNil {
			path = args{L: L, fn: "loadfile"}.name(1, L.Get(1), "path")
		}
		fn, err := s.LoadFile(path, os.Stdin)
		return pushFunc(L, fn, err)
	}))
	// dofile is Lua, so that the file's code runs in the caller's VM loop:
	// a task can dofile a script that blocks.
	if err := s.DoString(`local loadfile, error = loadfile, error
dofile = function(path)
  local f, err = loadfile(path)
  if not f then error(err, 0) end
  return f()
end`, "=prelude"); err != nil {
		panic(err)
	}
	loaders := L.GetField(L.GetGlobal("package"), "loaders").(*lua.LTable)
	loaders.RawSetInt(2, L.NewFunction(s.loadLuaModule))
}

// pushLoaded compiles src and pushes the function, or nil and the message.
func (s *Session) pushLoaded(L *lua.LState, src, name string) int {
	fn, err := s.Compile(src, name)
	return pushFunc(L, fn, err)
}

// pushFunc pushes fn, or nil and err's message.
func pushFunc(L *lua.LState, fn *lua.LFunction, err error) int {
	if err != nil {
		return fail(L, err.Error())
	}
	L.Push(fn)
	return 1
}

// loadLuaModule is require's searcher for Lua files on package.path.
func (s *Session) loadLuaModule(L *lua.LState) int {
	name := L.CheckString(1)
	path, ok := L.GetField(L.GetGlobal("package"), "path").(lua.LString)
	if !ok {
		L.RaiseError("package.path must be a string")
	}
	var tried []string
	file := strings.ReplaceAll(name, ".", string(os.PathSeparator))
	for _, pattern := range strings.Split(string(path), ";") {
		candidate := strings.ReplaceAll(pattern, "?", file)
		f, err := os.Open(candidate)
		if err != nil {
			tried = append(tried, "\n\tno file '"+candidate+"'")
			continue
		}
		src, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s': %v", name, candidate, err)
		}
		fn, err := s.Compile(string(src), candidate)
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s':\n\t%v", name, candidate, err)
		}
		L.Push(fn)
		return 1
	}
	L.Push(lua.LString(strings.Join(tried, "")))
	return 1
}
