package luaapi

import (
	"fmt"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// compile parses and compiles src. Every chunk the session runs is compiled
// here, so that syntax errors read alike everywhere.
func compile(src, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, syntaxError(err, src, name)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("%s: %v", name, err)}
	}
	proto.SetSource(sourceOf(name))
	return proto, nil
}

// sourceOf is the chunk name Lua 5.1 would give a chunk that messages call
// name, which debug.getinfo reports as source: "=stdin" and "=(command
// line)" as lua5.1 names them, a name that starts with "=" as it is, and
// "@name" for a file.
func sourceOf(name string) string {
	switch {
	case name == "stdin" || name == "(command line)" || strings.HasPrefix(name, "="):
		if strings.HasPrefix(name, "=") {
			return name
		}
		return "=" + name
	case strings.HasPrefix(name, "[string "):
		return name
	}
	return "@" + name
}

// openLoad replaces the ways Lua code compiles code — loadstring, load,
// loadfile, dofile and require's loader for Lua files — with ones that
// use compile.
func (s *Session) openLoad() {
	L := s.main
	L.SetGlobal("loadstring", L.NewFunction(func(L *lua.LState) int {
		a := bind.Args{L: L, Fn: "loadstring"}
		src := a.Str(1, L.Get(1), "chunk")
		return s.pushLoaded(L, src, L.OptString(2, src))
	}))
	L.SetGlobal("load", L.NewFunction(func(L *lua.LState) int {
		a := bind.Args{L: L, Fn: "load"}
		reader, ok := L.Get(1).(*lua.LFunction)
		if !ok {
			a.Raise(1, "function expected, got %s", bind.Describe(L.Get(1)))
		}
		var b strings.Builder
		for {
			// An error in the reader is load's failure, as in Lua 5.1.
			L.Push(reader)
			if err := L.PCall(0, 1, nil); err != nil {
				L.Push(lua.LNil)
				if ae, ok := err.(*lua.ApiError); ok {
					L.Push(ae.Object)
				} else {
					L.Push(lua.LString(err.Error()))
				}
				return 2
			}
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
			path = bind.Args{L: L, Fn: "loadfile"}.Name(1, L.Get(1), "path")
		}
		fn, err := s.loadFile(L, path)
		return pushFunc(L, fn, err)
	}))
	L.SetGlobal("dofile", L.NewFunction(func(L *lua.LState) int {
		path := "-"
		if L.GetTop() > 0 && L.Get(1) != lua.LNil {
			path = bind.Args{L: L, Fn: "dofile"}.Name(1, L.Get(1), "path")
		}
		fn, err := s.loadFile(L, path)
		if err != nil {
			L.Error(lua.LString(err.Error()), 0)
		}
		L.SetTop(0)
		L.Push(fn)
		L.Call(0, lua.MultRet)
		return L.GetTop()
	}))
	loaders := L.GetField(L.GetGlobal("package"), "loaders").(*lua.LTable)
	loaders.RawSetInt(2, L.NewFunction(s.loadLuaModule))
}

// loadFile compiles the file at path for Lua code on thread L; "-" reads
// the session's standard input, as any blocking call waits.
func (s *Session) loadFile(L *lua.LState, path string) (*lua.LFunction, error) {
	if path != "-" {
		src, err := s.readScript(path)
		if err != nil {
			return nil, &Error{Message: "cannot open " + fileError(path, err)}
		}
		return s.LoadSource(string(src), path)
	}
	src, err := s.readAllStdin(L)
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("cannot read stdin: %v", err)}
	}
	return s.LoadSource(src, "stdin")
}

// pushLoaded compiles src and pushes the function, or nil and the message.
// The function's environment is the global environment of the thread
// that loads it, as in Lua 5.1 (setfenv(0, t) in a coroutine).
func (s *Session) pushLoaded(L *lua.LState, src, name string) int {
	// Parsing and compiling take several times the source's size.
	procmem.Alloc(L, procmem.MulSize(int64(len(src)), 8))
	proto, err := compile(src, chunkID(name))
	if err != nil {
		return pushFunc(L, nil, err)
	}
	proto.SetSource(name) // as given, which debug.getinfo reports
	return pushFunc(L, L.NewFunctionFromProto(proto), nil)
}

// idSize is how long a chunk's name may be in messages: LUA_IDSIZE of
// Lua 5.1's luaconf.h (Debian builds its lua5.1 with 80).
const idSize = 60

// chunkID is how messages name a chunk that loadstring or load made
// under name, as C Lua's luaO_chunkid: "=name" is name, "@file" the file
// (its end when long), and anything else is source text, shown as
// [string "its first line"], cut short with "..." at a line's end or
// beyond 43 bytes.
func chunkID(name string) string {
	switch {
	case strings.HasPrefix(name, "="):
		return name[1:min(len(name), idSize)]
	case strings.HasPrefix(name, "@"):
		file := name[1:]
		if keep := idSize - len(" '...' ") - 1; len(file) > keep {
			file = "..." + file[len(file)-keep:]
		}
		return file
	}
	keep := idSize - len(` [string "..."] `) - 1
	line := name
	if i := strings.IndexAny(name, "\n\r"); i >= 0 {
		line = name[:i]
	}
	if len(line) > keep {
		line = line[:keep]
	}
	if len(line) < len(name) {
		line += "..."
	}
	return `[string "` + line + `"]`
}

// pushFunc pushes fn, or nil and err's message.
func pushFunc(L *lua.LState, fn *lua.LFunction, err error) int {
	if err != nil {
		return bind.Fail(L, err.Error())
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
		if _, err := os.Stat(candidate); err != nil {
			tried = append(tried, "\n\tno file '"+candidate+"'")
			continue
		}
		src, err := s.readModule(candidate)
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
