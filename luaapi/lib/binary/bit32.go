package binary

import (
	"math"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// bit32 is Lua 5.2's library: numbers are taken modulo 2^32 as unsigned
// 32-bit integers, and results are in [0, 2^32-1].

func bitDoc(name, form, summary, returns, example string, args ...bind.Arg) *bind.Doc {
	return &bind.Doc{Name: "bit32." + name, Forms: []string{form}, Summary: summary, Args: args,
		Returns: returns, Errors: "A non-number raises.", Example: example}
}

var (
	argX    = bind.Arg{Name: "x", Meaning: "a number, taken modulo 2^32"}
	argDisp = bind.Arg{Name: "disp", Meaning: "how many bits; negative shifts the other way"}
	argMany = bind.Arg{Name: "...", Meaning: "numbers, taken modulo 2^32"}
)

// Bit32 is Lua 5.2's bitwise library.
var Bit32 = bind.Library{Title: "bit32", Intro: "Lua 5.2's bitwise library: numbers are taken modulo 2^32 as unsigned 32-bit integers, and results are in [0, 2^32-1].", Funcs: bit32Funcs}

var bit32Funcs = []bind.Func{
	{Doc: bitDoc("band", "bit32.band(...)", "Bitwise and of all its arguments (0xFFFFFFFF with none).", "a number in [0, 2^32-1].", `print(bit32.band(0xff, 0x0f))  --> 15`, argMany), Fn: bitOp("band", func(a, b uint32) uint32 { return a & b }, 0xffffffff)},
	{Doc: bitDoc("bor", "bit32.bor(...)", "Bitwise or of all its arguments (0 with none).", "a number.", `print(bit32.bor(0xf0, 0x0f))  --> 255`, argMany), Fn: bitOp("bor", func(a, b uint32) uint32 { return a | b }, 0)},
	{Doc: bitDoc("bxor", "bit32.bxor(...)", "Bitwise exclusive or of all its arguments (0 with none).", "a number.", `print(bit32.bxor(0xff, 0x0f))  --> 240`, argMany), Fn: bitOp("bxor", func(a, b uint32) uint32 { return a ^ b }, 0)},
	{Doc: bitDoc("btest", "bit32.btest(...)", "Whether the bitwise and of its arguments is not zero.", "a boolean.", `print(bit32.btest(0x10, 0x11))  --> true`, argMany), Fn: lBtest},
	{Doc: bitDoc("bnot", "bit32.bnot(x)", "Bitwise not.", "a number.", `print(bit32.bnot(0) == 0xffffffff)  --> true`, argX), Fn: lBnot},
	{Doc: bitDoc("lshift", "bit32.lshift(x, disp)", "Shifts left, filling with zeros; 32 or more gives 0.", "a number.", `print(bit32.lshift(1, 8))  --> 256`, argX, argDisp), Fn: shift("lshift", func(x uint32, d int) uint32 { return shl(x, d) })},
	{Doc: bitDoc("rshift", "bit32.rshift(x, disp)", "Shifts right, filling with zeros.", "a number.", `print(bit32.rshift(0x80000000, 31))  --> 1`, argX, argDisp), Fn: shift("rshift", func(x uint32, d int) uint32 { return shl(x, -d) })},
	{Doc: bitDoc("arshift", "bit32.arshift(x, disp)", "Shifts right, copying the top bit into the vacated ones.", "a number.", `print(bit32.arshift(0x80000000, 4) == 0xf8000000)  --> true`, argX, argDisp), Fn: shift("arshift", arshift)},
	{Doc: bitDoc("lrotate", "bit32.lrotate(x, disp)", "Rotates left by disp modulo 32.", "a number.", `print(bit32.lrotate(0x80000001, 1))  --> 3`, argX, argDisp), Fn: shift("lrotate", func(x uint32, d int) uint32 { return rotl(x, d) })},
	{Doc: bitDoc("rrotate", "bit32.rrotate(x, disp)", "Rotates right by disp modulo 32.", "a number.", `print(bit32.rrotate(3, 1) == 0x80000001)  --> true`, argX, argDisp), Fn: shift("rrotate", func(x uint32, d int) uint32 { return rotl(x, -d) })},
	{Doc: bitDoc("extract", "bit32.extract(n, field [, width])", "Reads bits field to field+width-1 of n (bit 0 the least significant).", "a number.", `print(bit32.extract(0xabcd, 4, 8))  --> 188`,
		bind.Arg{Name: "n", Meaning: "the number"}, bind.Arg{Name: "field", Meaning: "the first bit, 0-31"}, bind.Arg{Name: "width", Meaning: "how many bits, 1-32 (default 1); field+width at most 32"}), Fn: lExtract},
	{Doc: bitDoc("replace", "bit32.replace(n, v, field [, width])", "Puts v into bits field to field+width-1 of n.", "the new number.", `print(bit32.replace(0, 0xf, 4, 4))  --> 240`,
		bind.Arg{Name: "n", Meaning: "the number"}, bind.Arg{Name: "v", Meaning: "the bits to put"}, bind.Arg{Name: "field", Meaning: "the first bit, 0-31"}, bind.Arg{Name: "width", Meaning: "how many bits (default 1)"}), Fn: lReplace},
}

// toBit reads argument n modulo 2^32.
func toBit(a bind.Args, n int) uint32 {
	f, ok := bind.ToNumber(a.L.Get(n))
	if !ok {
		a.Raise(n, "number expected, got %s", bind.Describe(a.L.Get(n)))
	}
	f = math.Mod(math.Trunc(f), 1<<32)
	if f < 0 {
		f += 1 << 32
	}
	return uint32(f)
}

func bitOp(name string, op func(a, b uint32) uint32, none uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		a := bind.Args{L: L, Fn: name}
		r := none
		for i := 1; i <= L.GetTop(); i++ {
			if i == 1 {
				r = toBit(a, 1)
			} else {
				r = op(r, toBit(a, i))
			}
		}
		L.Push(lua.LNumber(r))
		return 1
	}
}

func lBtest(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "btest"}
	r := uint32(0xffffffff)
	for i := 1; i <= L.GetTop(); i++ {
		r &= toBit(a, i)
	}
	L.Push(lua.LBool(r != 0))
	return 1
}

func lBnot(L *lua.LState) int {
	L.Push(lua.LNumber(^toBit(bind.Args{L: L, Fn: "bnot"}, 1)))
	return 1
}

func shl(x uint32, d int) uint32 {
	switch {
	case d <= -32 || d >= 32:
		return 0
	case d >= 0:
		return x << uint(d)
	default:
		return x >> uint(-d)
	}
}

func arshift(x uint32, d int) uint32 {
	if d < 0 {
		return shl(x, -d)
	}
	if d >= 32 {
		d = 31
	}
	return uint32(int32(x) >> uint(d))
}

func rotl(x uint32, d int) uint32 {
	d &= 31
	return x<<uint(d) | x>>uint(32-d)
}

func shift(name string, f func(uint32, int) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		a := bind.Args{L: L, Fn: name}
		x := toBit(a, 1)
		d := a.IntIn(2, L.Get(2), "disp", math.MinInt32, math.MaxInt32)
		L.Push(lua.LNumber(f(x, d)))
		return 1
	}
}

// field checks extract's and replace's field and width.
func field(a bind.Args, n int) (int, int) {
	f := a.IntIn(n, a.L.Get(n), "field", 0, 31)
	w := 1
	if a.L.Get(n+1) != lua.LNil {
		w = a.IntIn(n+1, a.L.Get(n+1), "width", 1, 32)
	}
	if f+w > 32 {
		a.Raise(n+1, "trying to access non-existent bits (field %d, width %d)", f, w)
	}
	return f, w
}

func mask(w int) uint32 { return uint32(uint64(1)<<uint(w) - 1) }

func lExtract(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "extract"}
	n := toBit(a, 1)
	f, w := field(a, 2)
	L.Push(lua.LNumber(n >> uint(f) & mask(w)))
	return 1
}

func lReplace(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "replace"}
	n, v := toBit(a, 1), toBit(a, 2)
	f, w := field(a, 3)
	m := mask(w) << uint(f)
	L.Push(lua.LNumber(n&^m | v<<uint(f)&m))
	return 1
}
