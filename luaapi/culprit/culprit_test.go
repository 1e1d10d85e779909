package culprit

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// An Explainer registered on a plain gopher-lua state names culprits as
// Lua 5.1 does, and lists a userdata's methods with the kind its Kind
// gives.
func TestExplainerOnAPlainState(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	e := &Explainer{Kind: func(ud *lua.LUserData) (string, bool) {
		kind, ok := ud.Value.(string)
		return kind, ok
	}, Missing: func(name string) string {
		if name == "mod" {
			return `it is a module: mod = require "mod"`
		}
		return ""
	}}
	L.G.ExplainError = e.Raised
	ud := L.NewUserData()
	ud.Value = "udp"
	mt := L.NewTable()
	methods := L.NewTable()
	methods.RawSetString("recvfrom", L.NewFunction(func(*lua.LState) int { return 0 }))
	methods.RawSetString("close", L.NewFunction(func(*lua.LState) int { return 0 }))
	mt.RawSetString("__index", methods)
	ud.Metatable = mt
	L.SetGlobal("sock", ud)
	for src, want := range map[string]string{
		`local s; s.x = 1`:            "attempt to index local 's' (a nil value)",
		`recvfom()`:                   "attempt to call global 'recvfom' (a nil value)",
		`local t = {} t.f.g = 1`:      "attempt to index field 'f' (a nil value)",
		`sock:recvfom()`:              "udp sockets have close, recvfrom; did you mean 'recvfrom'?",
		`local n = nil; return n + 1`: "attempt to perform arithmetic on local 'n' (a nil value)",
		// A nil global indexed or called: what the host knows of the
		// name, else the closest global.
		`mod.f()`:         `attempt to index global 'mod' (a nil value); it is a module: mod = require "mod"`,
		`mod()`:           `attempt to call global 'mod' (a nil value); it is a module: mod = require "mod"`,
		`soc.x = 1`:       "attempt to index global 'soc' (a nil value); did you mean 'sock'?",
		`print(zzzzzz.x)`: "attempt to index global 'zzzzzz' (a nil value)\n",
	} {
		err := L.DoString(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}
