// Package lua51 is Lua 5.1's standard library where gopher-lua's differs
// from C Lua's: each function here checks its arguments and sizes as C Lua
// does, raises Lua's words (never a Go message or a Go runtime failure) and
// asks the memory budget before an allocation a script can make unbounded.
package lua51

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// Open puts Lua 5.1's library, as C Lua has it, into L's standard tables,
// in place of gopher-lua's functions that differ: string.format, rep,
// byte, lower, upper, table.concat, math.random and randomseed (a
// generator of L's own), os.date and os.clock; it adds Lua 5.0's names
// that Lua 5.1 keeps (string.gfind, math.mod) and removes gopher-lua's
// channel library.
func Open(L *lua.LState) {
	// gopher-lua's channel library is Go's channels, not Lua's: a
	// receive would block the whole session, and channel.make(2^31)
	// ends the process. Tasks and sockets are sockshell's concurrency.
	L.SetGlobal("channel", lua.LNil)
	if loaded, ok := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable); ok {
		loaded.RawSetString("channel", lua.LNil)
	}
	str := L.GetGlobal("string").(*lua.LTable)
	var f formatter
	str.RawSetString("format", L.NewFunction(f.format))
	str.RawSetString("rep", L.NewFunction(lStringRep))
	str.RawSetString("byte", L.NewFunction(lStringByte))
	str.RawSetString("lower", L.NewFunction(lStringLower))
	str.RawSetString("upper", L.NewFunction(lStringUpper))
	math := L.GetGlobal("math").(*lua.LTable)
	// The generator is the session's own: randomseed in one session
	// does not change another's sequence.
	var gen randGen
	math.RawSetString("random", L.NewFunction(gen.random))
	math.RawSetString("randomseed", L.NewFunction(gen.randomseed))
	if t, ok := L.GetGlobal("table").(*lua.LTable); ok {
		t.RawSetString("concat", L.NewFunction(lTableConcat))
	}
	// Lua 5.1's names kept for Lua 5.0's programs (LUA_COMPAT_GFIND and
	// LUA_COMPAT_MOD in its default build).
	str.RawSetString("gfind", str.RawGetString("gmatch"))
	math.RawSetString("mod", math.RawGetString("fmod"))
	osl := L.GetGlobal("os").(*lua.LTable)
	// gopher-lua's os.date("%a") printed "mon" for a Tuesday, %c and %x
	// did not follow C, and its os.clock measured wall time.
	osl.RawSetString("date", L.NewFunction(lOsDate))
	osl.RawSetString("clock", L.NewFunction(lOsClock))
}

// lStringRep is string.rep(s, n).
func lStringRep(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "rep"}
	s := a.CheckString(1)
	n := a.Int(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	procmem.Alloc(L, procmem.MulSize(int64(len(s)), n))
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// lStringByte is string.byte(s [, i [, j]]).
func lStringByte(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "byte"}
	s := a.CheckString(1)
	i := strPos(a.OptInt(2, 1), len(s))
	j := strPos(a.OptInt(3, i), len(s))
	if i < 1 {
		i = 1
	}
	if j > int64(len(s)) {
		j = int64(len(s))
	}
	if i > j {
		return 0
	}
	n := j - i + 1
	if n > bind.MaxResults {
		L.RaiseError("stack overflow (string slice too long)")
	}
	for k := i - 1; k < j; k++ {
		L.Push(lua.LNumber(s[k]))
	}
	return int(n)
}

// lStringLower is string.lower(s): ASCII letters to lower case, every
// other byte as it is, as C Lua does in the C locale. gopher-lua's
// folded Unicode, which changed UTF-8 text and even its length ("İ").
func lStringLower(L *lua.LState) int { return mapASCII(L, "lower", 'A', 'Z') }

// lStringUpper is string.upper(s), likewise.
func lStringUpper(L *lua.LState) int { return mapASCII(L, "upper", 'a', 'z') }

// mapASCII flips the case of the bytes from lo to hi in argument 1. A
// string with none of them is returned as it is, with no copy: `data:lower()
// == "bye"` in a receive loop allocates nothing.
func mapASCII(L *lua.LState, fn string, lo, hi byte) int {
	v := L.Get(1)
	str, isStr := v.(lua.LString)
	if !isStr {
		str = lua.LString(bind.Args{L: L, Fn: fn}.CheckString(1))
	}
	i := 0
	// Eight bytes at a time while none is in lo..hi.
	for i+8 <= len(str) && !hasBetween(binary.LittleEndian.Uint64([]byte(str[i:i+8])), lo, hi) {
		i += 8
	}
	for i < len(str) && (str[i] < lo || str[i] > hi) {
		i++
	}
	if i == len(str) {
		if isStr {
			L.Push(v)
		} else {
			L.Push(str)
		}
		return 1
	}
	procmem.Alloc(L, int64(len(str)))
	b := []byte(str)
	for ; i < len(b); i++ {
		if c := b[i]; c >= lo && c <= hi {
			b[i] = c ^ 0x20
		}
	}
	L.Push(lua.LString(b))
	return 1
}

// hasBetween reports whether a byte of x is in lo..hi (lo >= 1, hi <=
// 127), with no branch per byte: the word form of "some byte > lo-1 and <
// hi+1" (bytes from 128 up never count).
func hasBetween(x uint64, lo, hi byte) bool {
	const ones = 0x0101010101010101
	m, n := uint64(lo)-1, uint64(hi)+1
	low := x & (ones * 127)
	return (ones*(127+n)-low)&^x&(low+ones*(127-m))&(ones*128) != 0
}

// strPos is a string position as Lua reads it: negative counts from the
// end.
func strPos(pos int64, n int) int64 {
	if pos < 0 {
		pos += int64(n) + 1
	}
	return pos
}

// randGen is a session's random generator: Go's until math.randomseed
// gives it a seed, then one of its own from that seed. Its calls hold the
// session, one at a time.
type randGen struct{ seeded *rand.Rand }

// float is the next random number in [0, 1).
func (g *randGen) float() float64 {
	if g.seeded != nil {
		return g.seeded.Float64()
	}
	return rand.Float64()
}

// random is math.random([m [, n]]), as Lua 5.1 has it.
func (g *randGen) random(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "random"}
	r := g.float()
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := a.Int(1)
		if u < 1 {
			a.Raise(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := a.Int(1), a.Int(2)
		if l > u {
			a.Raise(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*(float64(u)-float64(l)+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

// randomseed is math.randomseed(x): the generator restarts from x.
func (g *randGen) randomseed(L *lua.LState) int {
	f := bind.Args{L: L, Fn: "randomseed"}.CheckNumber(1)
	seed := uint64(int64(f))
	if f != f || math.IsInf(f, 0) {
		seed = math.Float64bits(f)
	}
	g.seeded = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return 0
}

// lTableConcat is table.concat(t [, sep [, i [, j]]]), its result checked
// against the memory budget.
func lTableConcat(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "concat"}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		a.Raise(1, "table expected, got %s", a.TypeAt(1))
	}
	sep := ""
	if L.Get(2) != lua.LNil {
		sep = a.CheckString(2)
	}
	i := a.OptInt(3, 1)
	j := a.OptInt(4, int64(t.Len()))
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	var parts []string
	size := int64(0)
	for k := i; ; k++ {
		switch v := t.RawGetInt(int(k)).(type) {
		case lua.LString:
			parts = append(parts, string(v))
		case lua.LNumber:
			parts = append(parts, v.String())
		default:
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		size += int64(len(parts[len(parts)-1]) + len(sep))
		if k == j {
			break
		}
	}
	procmem.Alloc(L, size)
	L.Push(lua.LString(strings.Join(parts, sep)))
	return 1
}
