package lua51

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// formatter is string.format in one Lua state, with the buffer it reuses.
type formatter struct{ buf bind.Scratch }

// format is string.format with Lua 5.1's (C's) rules. gopher-lua hands
// its arguments to Go's fmt.Sprintf as they are, so %q quotes as Go does,
// %g prints every digit, a missing argument prints "%!d(MISSING)", and
// every value goes through a fmt.Formatter round trip, which made it a
// quarter of a receiver loop's CPU. Here each conversion takes a plain Go
// value.
func (s *formatter) format(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "format"}
	f := a.Str(1, L.Get(1), "format")
	out, owned := s.buf.Take()
	if owned {
		defer func() { s.buf.Give(out) }()
	}
	// The result is about the format and its strings: ask before making it.
	size := int64(len(f))
	for i := 2; i <= L.GetTop(); i++ {
		if str, ok := L.Get(i).(lua.LString); ok {
			size += int64(len(str))
		}
	}
	procmem.Alloc(L, size)
	argn := 1
	var spec [16]byte
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			// The text up to the next conversion, at once.
			j := strings.IndexByte(f[i:], '%')
			if j < 0 {
				j = len(f) - i
			}
			out = append(out, f[i:i+j]...)
			i += j - 1
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			out = append(out, '%')
			continue
		}
		// %[flags][width][.precision]conversion, as Lua 5.1 allows:
		// flags from "-+ #0", at most two digits each for width and
		// precision.
		start := i
		for i < len(f) && (f[i] == '-' || f[i] == '+' || f[i] == ' ' || f[i] == '#' || f[i] == '0') {
			i++
		}
		if i-start > 5 {
			a.Raise(1, "invalid format (repeated flags)")
		}
		i = skipDigits(f, i, a)
		hasPrec, precAt := false, i
		if i < len(f) && f[i] == '.' {
			hasPrec = true
			i = skipDigits(f, i+1, a)
		}
		if i >= len(f) {
			a.Raise(1, "invalid option '%%' to 'format'")
		}
		conv := f[i]
		pre := append(append(spec[:0], '%'), f[start:i]...)
		argn++
		if argn > L.GetTop() && conv != '%' {
			a.Raise(argn, "no value")
		}
		v := L.Get(argn)
		switch conv {
		case 'd', 'i':
			n := formatInteger(a, argn, v)
			if len(pre) == 1 {
				out = strconv.AppendInt(out, n, 10)
			} else {
				out = fmt.Appendf(out, string(append(pre, 'd')), n)
			}
		case 'u':
			out = fmt.Appendf(out, string(append(pre, 'd')), uint64(formatInteger(a, argn, v)))
		case 'o', 'x', 'X':
			out = fmt.Appendf(out, string(append(pre, conv)), uint64(formatInteger(a, argn, v)))
		case 'c':
			c := byte(formatInteger(a, argn, v))
			if len(pre) == 1 {
				out = append(out, c)
			} else {
				// C pads a character with spaces to the width (a 0 flag
				// too) and ignores a precision.
				flags := strings.TrimLeft(f[start:precAt], "-+ #0")
				flags = strings.ReplaceAll(f[start:precAt-len(flags)], "0", "") + flags
				out = fmt.Appendf(out, "%"+flags+"s", string([]byte{c}))
			}
		case 'e', 'E', 'f', 'g', 'G':
			n := formatNumber(a, argn, v)
			if math.IsInf(n, 0) || math.IsNaN(n) {
				// C prints the word with the flags and width, no precision.
				out = fmt.Appendf(out, "%"+f[start:precAt]+"s", cFloatWord(n, conv))
				break
			}
			if (conv == 'g' || conv == 'G') && !hasPrec {
				pre = append(pre, '.', '6') // C's default precision
			}
			out = fmt.Appendf(out, string(append(pre, conv)), n)
		case 'q':
			out = quoteLua(out, a.Str(argn, v, "string"))
		case 's':
			// Strings and numbers as they are, as Lua 5.1 takes them
			// (luaL_checklstring); other values as tostring shows them.
			var str string
			switch v := v.(type) {
			case lua.LString:
				str = string(v)
			case lua.LNumber:
				str = v.String()
			default:
				str = bind.ToString(a.L, v, "format")
			}
			if len(pre) == 1 {
				out = append(out, str...)
			} else {
				out = fmt.Appendf(out, string(append(pre, 's')), str)
			}
		default:
			a.Raise(1, "invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LStringBytes(out))
	return 1
}

// skipDigits passes over at most two digits of a width or precision.
func skipDigits(f string, i int, a bind.Args) int {
	for n := 0; i < len(f) && f[i] >= '0' && f[i] <= '9'; n++ {
		if n == 2 {
			a.Raise(1, "invalid format (width or precision too long)")
		}
		i++
	}
	return i
}

// formatNumber reads a numeric argument, numeric strings included.
func formatNumber(a bind.Args, n int, v lua.LValue) float64 {
	f, ok := bind.ToNumber(v)
	if !ok {
		a.Raise(n, "number expected, got %s", bind.Describe(v))
	}
	return f
}

// formatInteger reads an argument of an integer conversion: one that has
// no integer value (inf, nan, beyond 64 bits) raises, as Lua 5.3 does,
// where C would print garbage.
func formatInteger(a bind.Args, n int, v lua.LValue) int64 {
	f := formatNumber(a, n, v)
	if f != f || f >= 1<<63 || f < -(1<<63) {
		a.Raise(n, "number has no integer representation")
	}
	return int64(f)
}

// cFloatWord is how C prints an infinity or a NaN.
func cFloatWord(n float64, conv byte) string {
	w := "nan"
	switch {
	case math.IsInf(n, 1):
		w = "inf"
	case math.IsInf(n, -1):
		w = "-inf"
	}
	if conv == 'E' || conv == 'G' {
		return strconvUpper(w)
	}
	return w
}

func strconvUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// quoteLua is %q: a string Lua reads back as the same bytes.
func quoteLua(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			out = append(out, '\\', c)
		case '\r':
			out = append(out, '\\', 'r')
		case 0:
			out = append(out, '\\', '0', '0', '0')
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}
