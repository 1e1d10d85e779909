package binary

import (
	"encoding/hex"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// Library is the binary-data functions: Lua 5.3's pack language and hex
// tools.
var Library = bind.Library{Title: "Binary data", Intro: "Real protocols are binary: Lua 5.3's pack language and hex tools.", Funcs: binaryFuncs}

var binaryFuncs = []bind.Func{
	{Doc: &bind.Doc{
		Name:    "pack",
		Forms:   []string{"pack(fmt, v1, v2, ...)", "string.pack(fmt, ...)"},
		Summary: "Packs values into a binary string by a format, as Lua 5.3's `string.pack`: `<` `>` `=` set little, big or native (little) endianness; `![n]` the largest alignment (default none; `!` alone 8); `b`/`B` 1-byte, `h`/`H` 2-byte, `i[n]`/`I[n]` n-byte (default 4, up to 16), `l`/`L`, `j`/`J`, `T` 8-byte signed/unsigned integers; `f` float, `d` and `n` double; `s[n]` a string after its n-byte length (default 8); `z` a zero-terminated string; `c<n>` a string of exactly n bytes, padded with zeros; `x` a zero byte; `Xop` padding to `op`'s alignment; spaces are ignored.",
		Args: []bind.Arg{
			{Name: "fmt", Meaning: "the format"},
			{Name: "v1, ...", Meaning: "the values: numbers for numeric options, strings for string options"},
		},
		Returns: "the binary string.",
		Errors:  "A bad format or value raises, naming it: `invalid format option 'y'`, `integer overflow`, `string contains zeros`… Numbers are doubles here, so integers beyond 2^53 raise instead of losing precision.",
		Example: `-- a DNS header: id, flags, four counts, big-endian
local hdr = pack(">I2 I2 I2 I2 I2 I2", 0x1234, 0x0100, 1, 0, 0, 0)
print(tohex(hdr))  --> 123401000001000000000000`,
	}, Fn: lPack},
	{Doc: &bind.Doc{
		Name:    "unpack",
		Forms:   []string{"unpack(fmt, data [, pos])", "string.unpack(fmt, data [, pos])"},
		Summary: "Reads values from a binary string by a format (the language of `pack`).",
		Args: []bind.Arg{
			{Name: "fmt", Meaning: "the format"},
			{Name: "data", Meaning: "the binary string"},
			{Name: "pos", Meaning: "where to start, from 1 (default); negative counts from the end"},
		},
		Returns: "the values, then the position after the last byte read.",
		Errors:  "A bad format, `data string too short`, `initial position out of string`, or an integer beyond 2^53 raises. Given a table, `unpack` is still Lua 5.1's `unpack(list [, i [, j]])`.",
		Example: `local id, flags, qd, pos = unpack(">I2 I2 I2", fromhex("1234 0100 0001"))
print(id, flags, qd, pos)  --> 4660  256  1  7`,
	}, Fn: lUnpackAny},
	{Doc: &bind.Doc{
		Name:    "packsize",
		Forms:   []string{"packsize(fmt)", "string.packsize(fmt)"},
		Summary: "Tells how many bytes `pack(fmt, ...)` makes.",
		Args:    []bind.Arg{{Name: "fmt", Meaning: "a format without `s` or `z`"}},
		Returns: "the size in bytes.",
		Errors:  "A variable-length format (`s`, `z`) or a bad one raises.",
		Example: `print(packsize(">I2 I2 I2 I2 I2 I2"))  --> 12
print(packsize("!8 b Xi8 d"))  --> 16`,
	}, Fn: lPacksize},
	{Doc: &bind.Doc{
		Name:    "tohex",
		Forms:   []string{"tohex(data)"},
		Summary: "Writes bytes as lowercase hexadecimal digits.",
		Args:    []bind.Arg{{Name: "data", Meaning: "a string of bytes"}},
		Returns: "the hex string, two digits a byte.",
		Errors:  "A non-string raises.",
		Example: `print(tohex("Lua\0"))  --> 4c756100`,
	}, Fn: lTohex},
	{Doc: &bind.Doc{
		Name:    "fromhex",
		Forms:   []string{"fromhex(hex)"},
		Summary: "Reads hexadecimal digits back into bytes; spaces, colons and line breaks between them are allowed, so `xxd` and Wireshark output can be pasted.",
		Args:    []bind.Arg{{Name: "hex", Meaning: "the digits, upper or lower case"}},
		Returns: "the bytes.",
		Errors:  "`nil, message` for a character that is not a hex digit or an odd number of digits.",
		Example: `print(fromhex("4c 75 61") == "Lua")  --> true
print(fromhex("4c7"))  --> nil  odd number of hex digits`,
	}, Fn: lFromhex},
	{Doc: &bind.Doc{
		Name:    "hexdump",
		Forms:   []string{"hexdump(data [, width])"},
		Summary: "Shows bytes as `hexdump -C` and Wireshark do: offset, the bytes in hex, and the printable ones as text.",
		Args: []bind.Arg{
			{Name: "data", Meaning: "a string of bytes"},
			{Name: "width", Meaning: "bytes a line, 1-64 (default 16)"},
		},
		Returns: "the dump, one line per `width` bytes, each ending in a newline.",
		Errors:  "A bad argument raises.",
		Example: `io.write(hexdump("GET / HTTP/1.1\r\nHost: x\r\n"))
--> 00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|
--> 00000010  48 6f 73 74 3a 20 78 0d  0a                       |Host: x..|`,
	}, Fn: lHexdump},
}

// lUnpackAny is the global unpack: Lua 5.1's unpack(table) when given a
// table, string.unpack otherwise.
func lUnpackAny(L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case *lua.LTable:
		return tableUnpack(L)
	case lua.LString:
	default:
		// Neither form: say both, as a Lua 5.1 script expects a table.
		bind.Args{L: L, Fn: "unpack"}.Raise(1, "table or format string expected, got %s", bind.Describe(v))
	}
	return StringUnpack(L)
}

// tableUnpack is Lua 5.1's unpack(list [, i [, j]]).
func tableUnpack(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "unpack"}
	t := L.CheckTable(1)
	i := a.OptInt(2, 1)
	j := a.OptInt(3, int64(t.Len()))
	if i > j {
		return 0
	}
	n := j - i + 1
	if n <= 0 || n > bind.MaxResults {
		L.RaiseError("too many results to unpack")
	}
	for k := i; k <= j; k++ {
		L.Push(t.RawGetInt(int(k)))
	}
	return int(n)
}

func lTohex(L *lua.LState) int {
	data, ok := toBytes(L.Get(1))
	if !ok {
		bind.Args{L: L, Fn: "tohex"}.Raise(1, "string expected, got %s", bind.Describe(L.Get(1)))
	}
	procmem.Alloc(L, procmem.MulSize(int64(len(data)), 2))
	L.Push(lua.LString(hex.EncodeToString([]byte(data))))
	return 1
}

// fromHex reads hex digits, allowing spaces, colons and line breaks
// between bytes.
func fromHex(text string) ([]byte, error) {
	digits := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', ':':
			return -1
		}
		return r
	}, text)
	for i, r := range digits {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return nil, fmt.Errorf("not a hex digit: %q at %d", r, i+1)
		}
	}
	if len(digits)%2 != 0 {
		return nil, fmt.Errorf("odd number of hex digits")
	}
	return hex.DecodeString(digits)
}

func lFromhex(L *lua.LState) int {
	text, ok := toBytes(L.Get(1))
	if !ok {
		bind.Args{L: L, Fn: "fromhex"}.Raise(1, "string expected, got %s", bind.Describe(L.Get(1)))
	}
	b, err := fromHex(text)
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	L.Push(lua.LString(b))
	return 1
}

// Hexdump formats data as xxd does, width bytes a line.
func Hexdump(data []byte, width int) string {
	var b strings.Builder
	for off := 0; off < len(data); off += width {
		line := data[off:min(off+width, len(data))]
		fmt.Fprintf(&b, "%08x  ", off)
		for i := 0; i < width; i++ {
			if i < len(line) {
				fmt.Fprintf(&b, "%02x ", line[i])
			} else {
				b.WriteString("   ")
			}
			if i == width/2-1 && width >= 8 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(" |")
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteString("|\n")
	}
	return b.String()
}

func lHexdump(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "hexdump"}
	data, ok := toBytes(L.Get(1))
	if !ok {
		a.Raise(1, "string expected, got %s", bind.Describe(L.Get(1)))
	}
	width := 16
	if L.Get(2) != lua.LNil {
		width = a.IntIn(2, L.Get(2), "width", 1, 64)
	}
	procmem.Alloc(L, procmem.MulSize(int64(len(data)), 5)) // a line of width bytes takes about 4×width+20
	L.Push(lua.LString(Hexdump([]byte(data), width)))
	return 1
}
