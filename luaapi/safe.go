package luaapi

import (
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openSafe takes away what untrusted code must not do: run programs, load
// native code, end the process, or write files outside the current
// directory. Sockets stay.
func (s *Session) openSafe() {
	L := s.main
	refuse := func(name string) *lua.LFunction {
		return L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("%s is not allowed in --safe mode", name)
			return 0
		})
	}
	osl := L.GetGlobal("os").(*lua.LTable)
	iol := L.GetGlobal("io").(*lua.LTable)
	pkg := L.GetGlobal("package").(*lua.LTable)
	osl.RawSetString("execute", refuse("os.execute"))
	osl.RawSetString("exit", refuse("os.exit"))
	iol.RawSetString("popen", refuse("io.popen"))
	pkg.RawSetString("loadlib", refuse("package.loadlib"))

	// Files: reading is allowed; writing, removing and renaming only
	// inside the current directory.
	inside := func(path string) bool {
		cwd, err := os.Getwd()
		if err != nil {
			return false
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return false
		}
		if real, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
			abs = filepath.Join(real, filepath.Base(abs))
		}
		if real, err := filepath.EvalSymlinks(cwd); err == nil {
			cwd = real
		}
		rel, err := filepath.Rel(cwd, abs)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	guard := func(name string, orig lua.LValue, writes func(L *lua.LState) bool, paths ...int) *lua.LFunction {
		return L.NewFunction(func(L *lua.LState) int {
			if writes(L) {
				for _, n := range paths {
					if p, ok := L.Get(n).(lua.LString); ok && !inside(string(p)) {
						return fail(L, name+": writing outside the current directory is not allowed in --safe mode: "+string(p))
					}
				}
			}
			L.Insert(orig, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		})
	}
	always := func(*lua.LState) bool { return true }
	writeMode := func(L *lua.LState) bool {
		mode := L.OptString(2, "r")
		return strings.ContainsAny(mode, "wa+")
	}
	iol.RawSetString("open", guard("io.open", iol.RawGetString("open"), writeMode, 1))
	iol.RawSetString("output", guard("io.output", iol.RawGetString("output"), func(L *lua.LState) bool {
		_, isName := L.Get(1).(lua.LString)
		return isName
	}, 1))
	osl.RawSetString("remove", guard("os.remove", osl.RawGetString("remove"), always, 1))
	osl.RawSetString("rename", guard("os.rename", osl.RawGetString("rename"), always, 1, 2))
}
