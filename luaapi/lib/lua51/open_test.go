package lua51

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// Open needs nothing but a Lua state: on a plain gopher-lua state, the
// library behaves as C Lua 5.1's, where gopher-lua's own differs.
func TestOpenOnAPlainState(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	Open(L)
	for _, tc := range []struct{ expr, want string }{
		{`string.format("%q", "a\nb\0")`, "\"a\\\nb\\000\""},
		{`string.format("%g", 0.1)`, "0.1"},
		{`string.format("%5.1f|%-3d|%x", 3.14159, 7, 255)`, "  3.1|7  |ff"},
		{`os.date("!%a %b %d %Y", 86400 * 2)`, "Sat Jan 03 1970"},
		{`string.upper("straße")`, "STRAßE"},
		{`tostring(string.gfind == string.gmatch and math.mod == math.fmod)`, "true"},
		{`tostring(channel)`, "nil"},
		{`(function() math.randomseed(7); local a = math.random(1000); math.randomseed(7); return tostring(a == math.random(1000)) end)()`, "true"},
	} {
		if err := L.DoString("return " + tc.expr); err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := L.Get(-1).String(); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
		L.Pop(1)
	}
	// Errors name the function and argument, in Lua's words.
	err := L.DoString(`string.rep("x", {})`)
	if err == nil || !strings.Contains(err.Error(), "bad argument #2 to 'rep' (number expected, got table)") {
		t.Errorf("string.rep with a table: %v", err)
	}
}
