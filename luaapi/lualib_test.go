package luaapi

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/procmem"
)

// A script that asks for more memory than the budget gets a Lua error,
// "not enough memory", which pcall catches, instead of the end of the
// process; once it lets go, memory is there again.
func TestMemoryBudget(t *testing.T) {
	procmem.SetBudget(256 << 20)
	defer procmem.SetBudget(0)
	s, _ := newTestSession(t)
	for src, want := range map[string]string{
		`return select(2, pcall(string.rep, "x", 2^40))`:                                                          "not enough memory",
		`return select(2, pcall(string.rep, "abc", 2^62))`:                                                        "not enough memory",
		`local s = "x" return select(2, pcall(function() while true do s = s .. s end end))`:                      "not enough memory",
		`local t = {} return select(2, pcall(function() for i = 1, 1e9 do t[i] = string.rep("y", 1e6) end end))`:  "not enough memory",
		`local t = {} for i = 1, 150 do t[i] = string.rep("z", 1e6) end return select(2, pcall(table.concat, t))`: "not enough memory",
		`return #string.rep("w", 1e7)`:                                                                            "10000000",
	} {
		if got := run(t, s, src)[0].String(); got != want {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
}

// Numbers print as Lua 5.1 prints them, and library functions raise
// Lua's words where Go's would show.
func TestLuaWordsNotGos(t *testing.T) {
	s, out := newTestSession(t)
	run(t, s, `print(0/0, -(0/0), 1/0, -1/0, 2^63, 0.1 + 0.2, 1e15, 100, -0.0, 2^53)
print(string.format("%5.1f|%g|%d", 1/0, -1/0, 42))`)
	want := "-nan\tnan\tinf\t-inf\t9.2233720368548e+18\t0.3\t1e+15\t100\t-0\t9.007199254741e+15\n  inf|-inf|42\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	for src, want := range map[string]string{
		`return select(2, pcall(math.random, 1, 0))`:                                                                     "bad argument #2 to 'random' (interval is empty)",
		`return select(2, pcall(math.random, 0))`:                                                                        "bad argument #1 to 'random' (interval is empty)",
		`return select(2, pcall(string.format, "%d", 1/0))`:                                                              "bad argument #2 to 'format' (number has no integer representation)",
		`return select(2, pcall(string.rep, "x", 0/0))`:                                                                  "bad argument #2 to 'rep' (number has no integer representation)",
		`return select(2, pcall(unpack, {}, 1, 1e9))`:                                                                    "too many results to unpack",
		`return select(2, pcall(string.byte, string.rep("x", 1e6), 1, -1))`:                                              "stack overflow (string slice too long)",
		`return select(2, pcall(print, setmetatable({}, {__tostring = function() error("boom", 0) end})))`:               "boom",
		`return select(2, pcall(string.format, "%s", setmetatable({}, {__tostring = function() error("boom", 0) end})))`: "boom",
		`return select(2, pcall(print, setmetatable({}, {__tostring = function() return {} end})))`:                      "'__tostring' must return a string to 'print'",
		`return ("ÄÖ Straße İ, HeLLo 42"):lower() .. "|" .. ("äöß ı, hello"):upper()`:                                    "ÄÖ straße İ, hello 42|äöß ı, HELLO",
		"return string.lower(12) .. type(string.upper(1e15)) .. (\"@[`{\"):lower() .. (\"@[`{\"):upper()":                "12string@[`{@[`{",
		`return select(2, pcall(string.lower))`:                                                                          "bad argument #1 to 'lower' (string expected, got no value)",
		`return select(2, pcall(function() setmetatable("s", {}) end))`:                                                  "test:1: bad argument #1 to 'setmetatable' (table expected, got string)",
		`pcall(setmetatable, 1, {__index = {x = 1}}) return (pcall(function() return (5).x end))`:                        "false",
		`return select(2, pcall(function() return math.floor("a") end))`:                                                 "test:1: bad argument #1 to 'floor' (number expected, got string)",
		`return select(2, pcall(function() return string.rep() end))`:                                                    "test:1: bad argument #1 to 'rep' (string expected, got no value)",
		`return select(2, pcall(function() return unpack(nil) end))`:                                                     "test:1: bad argument #1 to 'unpack' (table or format string expected, got nil)",
		`return select(2, pcall(setmetatable, {}, 5))`:                                                                   "bad argument #2 to '?' (nil or table expected, got number)",
		`return tostring(channel)`:                                                                                       "nil",
		`math.randomseed(7) local a = math.random(1000) math.randomseed(7) return a == math.random(1000)`:                "true",
	} {
		got := run(t, s, src)[0].String()
		if !strings.HasSuffix(got, want) {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
}

// print and string.format reuse their buffers from call to call; a call
// made inside another (a __tostring that prints or formats) and one after
// an error still get their own text.
func TestPrintAndFormatNested(t *testing.T) {
	s, out := newTestSession(t)
	run(t, s, `
local loud = setmetatable({}, {__tostring = function() print("inner", 1) return "obj" end})
print("a", loud, "b")
local fmt = setmetatable({}, {__tostring = function() return string.format("%d-%s", 7, "x") end})
print(string.format("%s|%s|%d", fmt, "y", 42))
local bad = setmetatable({}, {__tostring = function() error("boom", 0) end})
print(pcall(print, "before", bad), pcall(string.format, "%s%s", "z", bad))
print(string.format("%5d|%-3s|%s", 42, "ab", string.rep("w", 70000):len()))
print("after")`)
	want := "inner\t1\na\tobj\tb\n7-x|y|42\nfalse\tfalse\tboom\n   42|ab |70000\nafter\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}

// string.format's %s takes strings and numbers as they are, as Lua 5.1
// does, whatever __tostring the string metatable has.
func TestFormatTakesStringsAsTheyAre(t *testing.T) {
	s, _ := newTestSession(t)
	got := run(t, s, `getmetatable("").__tostring = function() return "X" end
return string.format("%s|%5s|%s", "a", "b", 1.5)`)[0].String()
	if want := "a|    b|1.5"; got != want {
		t.Errorf("format gave %q, want %q", got, want)
	}
}

// A metatable's __index is read afresh after every change to it, however
// it is made (gopher-lua keeps it cached for method calls).
func TestMetatableIndexChanges(t *testing.T) {
	s, _ := newTestSession(t)
	got := run(t, s, `
local out = {}
local mt = {__index = {a = 1}}
local t = setmetatable({}, mt)
out[#out + 1] = t.a
mt.__index = {a = 2}; out[#out + 1] = t.a
mt.__index = nil; out[#out + 1] = tostring(t.a)
mt.__index = function(_, k) return k .. "!" end; out[#out + 1] = t.a
rawset(mt, "__index", {a = 3}); out[#out + 1] = t.a
local s = listen(0, "127.0.0.1")
local smt = getmetatable(s)
local old = smt.__index
smt.__index = {recvfrom = function() return "patched" end}; out[#out + 1] = s:recvfrom()
smt.__index = old; out[#out + 1] = select(2, s:recvfrom(10, 0))
s:close()
local sold = getmetatable("").__index
getmetatable("").__index = {len = function() return 42 end}; out[#out + 1] = ("x"):len()
getmetatable("").__index = sold; out[#out + 1] = ("xy"):len()
return table.concat(out, " ")`)[0].String()
	if want := "1 2 nil a! 3 patched timeout 42 2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A string made from bytes with one allocation (lua.LStringBytes: what a
// received datagram becomes) is a string as any other, with its own copy
// of the bytes, kept through collections while anything holds it or a
// piece of it.
func TestStringBytesSurviveCollection(t *testing.T) {
	const n = 2000
	text := func(i int) string { return fmt.Sprintf("datagram %d %s", i, strings.Repeat("x", i%100)) }
	vals := make([]lua.LValue, n)
	pieces := make([]string, n)
	for i := range vals {
		b := []byte(text(i))
		vals[i] = lua.LStringBytes(b)
		clear(b)
		if i%2 == 0 {
			// Only a piece of the string stays.
			pieces[i] = string(vals[i].(lua.LString))[9:]
			vals[i] = nil
		}
	}
	runtime.GC()
	runtime.GC()
	var junk [][]byte // what was freed is reused
	for i := range n {
		junk = append(junk, bytes.Repeat([]byte{0xaa}, 16+i%100))
	}
	for i := range vals {
		switch {
		case i%2 == 0 && pieces[i] != text(i)[9:]:
			t.Fatalf("piece %d: %q", i, pieces[i])
		case i%2 == 1 && vals[i] != lua.LValue(lua.LString(text(i))):
			t.Fatalf("value %d: %q", i, vals[i])
		}
	}
	runtime.KeepAlive(junk)
	if v := lua.LStringBytes(nil); v != lua.LValue(lua.LString("")) {
		t.Errorf("no bytes: %#v", v)
	}
	s, _ := newTestSession(t)
	fn, err := s.Compile(`local a, b = ... return a == b, #a, a:upper(), ({[a] = "key"})[b]`, "t")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Call(fn, lua.LStringBytes([]byte("bye")), lua.LString("bye"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res); got != "[true 3 BYE key]" {
		t.Errorf("in Lua: %s", got)
	}
}

// Globals and methods are remembered where a call site last found them;
// every write that changes what the name means there is seen at the next
// look-up from the same site.
func TestLookupsSeeWrites(t *testing.T) {
	s, _ := newTestSession(t)
	got := run(t, s, `
local out = {}
local function global() return tostring(g) end
local function method(o) return o:m() end
local function strmethod(x) return x:shout() end
local Class = {m = function() return "class" end}
Class.__index = Class
local Other = {m = function() return "other" end}
Other.__index = Other
local obj, other = setmetatable({}, Class), setmetatable({}, Other)
for round = 1, 2 do -- the second round runs every site with a cache filled
  g = "one"; out[#out + 1] = global()
  g = "two"; out[#out + 1] = global()
  g = nil; out[#out + 1] = global()
  rawset(_G, "g", "raw"); out[#out + 1] = global()
  g = nil
  Class.m = function() return "class" end
  out[#out + 1] = method(obj)
  out[#out + 1] = method(other) -- another table at the same site
  out[#out + 1] = method(obj)
  Class.m = function() return "changed" end; out[#out + 1] = method(obj)
  obj.m = function() return "own" end; out[#out + 1] = method(obj)
  obj.m = nil; out[#out + 1] = method(obj)
  Class.m = nil; out[#out + 1] = select(2, pcall(method, obj)):match("attempt to call") or "called"
  string.shout = function(x) return x:upper() end; out[#out + 1] = strmethod("a")
  string.shout = function(x) return x .. "!" end; out[#out + 1] = strmethod("a")
  string.shout = nil
  local env = setmetatable({}, {__index = _G}); env.g = "env"
  setfenv(global, env); out[#out + 1] = global()
  setfenv(global, _G); out[#out + 1] = global()
end
return table.concat(out, " ")`)[0].String()
	once := "one two nil raw class other class changed own changed attempt to call A a! env nil"
	if want := once + " " + once; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
