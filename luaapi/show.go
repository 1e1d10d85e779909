package luaapi

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/lib/binary"
)

// Limits of what show prints of one value.
const (
	showDepth    = 4   // nested tables deeper than this print as {…}
	showItems    = 40  // entries of one table before "…"
	showWidth    = 72  // a table fits on one line up to this width
	showHexAfter = 64  // a binary string longer than this prints as a hexdump
	showTextMax  = 400 // a text string longer than this is cut
)

// shower renders values for people: the prompt's results and show().
type shower struct {
	L     *lua.LState
	s     *Session
	seen  map[*lua.LTable]bool
	color bool // numbers, strings, booleans and nil in colour
}

// ANSI colours of a coloured result.
const (
	colorNumber = "\x1b[36m" // cyan
	colorString = "\x1b[32m" // green
	colorConst  = "\x1b[35m" // magenta: nil, true, false
	colorReset  = "\x1b[0m"
)

func (sh *shower) paint(color, text string) string {
	if !sh.color {
		return text
	}
	return color + text + colorReset
}

// visible is how many columns s takes, colour codes left out.
func visible(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		if s[i]&0xc0 != 0x80 {
			n++
		}
	}
	return n
}

// Show renders v as the prompt prints a result: strings with control or
// non-UTF-8 bytes as Lua literals (a long binary one as a hexdump), tables
// with their contents, nested and sorted, sockets with their traffic,
// functions with their signature when documented.
func (s *Session) Show(v lua.LValue) string { return s.ShowColor(v, false) }

// ShowColor is Show, with numbers, strings, booleans and nil in colour
// (ANSI codes) when color is true: for a terminal.
func (s *Session) ShowColor(v lua.LValue, color bool) string {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	sh := &shower{L: s.main, s: s, seen: map[*lua.LTable]bool{}, color: color}
	return sh.value(v, 0, "")
}

func (s *Session) show(L *lua.LState, v lua.LValue) string {
	sh := &shower{L: L, s: s, seen: map[*lua.LTable]bool{}}
	return sh.value(v, 0, "")
}

var showFuncs = []libFunc{
	{&bind.Doc{
		Name:    "show",
		Forms:   []string{"show(...)"},
		Summary: "Prints values as the prompt shows results: tables with their contents, binary strings escaped or as a hexdump, sockets with their traffic. `print` prints them raw, as Lua does.",
		Args:    []bind.Arg{{Name: "...", Meaning: "the values"}},
		Returns: "nothing.",
		Errors:  "None.",
		Example: `show({1, 2, {x = "a\0b"}})  --> {1, 2, {x = "a\0b"}}`,
	}, (*Session).lShow},
}

func (s *Session) lShow(L *lua.LState) int {
	parts := make([]string, L.GetTop())
	for i := range parts {
		parts[i] = s.show(L, L.Get(i+1))
	}
	io.WriteString(s.stdout, JoinShown(parts)+"\n")
	return 0
}

// JoinShown joins values as shown (Show), as the prompt prints several
// results: by tabs on one line, as print does, unless one of them takes
// several lines; then each starts on a line of its own.
func JoinShown(vals []string) string {
	for _, v := range vals {
		if strings.Contains(v, "\n") {
			return strings.Join(vals, "\n")
		}
	}
	return strings.Join(vals, "\t")
}

func (sh *shower) value(v lua.LValue, depth int, indent string) string {
	switch v := v.(type) {
	case lua.LString:
		text := showString(string(v), depth > 0)
		if strings.Contains(text, "\n") && !strings.HasPrefix(text, "\"") {
			return text // printable text or a hexdump: as it is
		}
		return sh.paint(colorString, text)
	case lua.LNumber:
		return sh.paint(colorNumber, v.String())
	case lua.LBool, *lua.LNilType:
		return sh.paint(colorConst, v.String())
	case *lua.LTable:
		if mt := sh.L.GetMetaField(v, "__tostring"); mt != lua.LNil {
			return toString(sh.L, v)
		}
		text := sh.table(v, depth, indent)
		if depth == 0 {
			if summary := sh.s.packetSummary(sh.L, v); summary != "" {
				text += "  -- " + summary // a captured packet a dissector decodes
			}
		}
		return text
	case *lua.LUserData:
		if so, ok := v.Value.(bind.Socket); ok {
			return showSocket(so)
		}
		return toString(sh.L, v)
	case *lua.LFunction:
		if d := sh.s.docsByFn[v]; d != nil {
			return "function " + d.Forms[0]
		}
		return toString(sh.L, v)
	}
	return toString(sh.L, v)
}

// showSocket is a socket with its state: udp{0.0.0.0:5000, 12 in, 3 out};
// a LuaSocket object is shown by its class, as LuaSocket names it:
// tcp{client} 127.0.0.1:41778 -> 127.0.0.1:8080, 2 in, 1 out.
func showSocket(so bind.Socket) string {
	st := so.State()
	in, _, out, _ := st.Traffic()
	if sh, ok := so.(bind.Shower); ok {
		return sh.Show(in, out)
	}
	addr := so.LocalAddr().String()
	if p := so.Peer(); p != "" {
		addr += " -> " + p
	}
	return fmt.Sprintf("%s{%s, %d in, %d out%s}", so.Kind(), addr, in, out, st.Suffix())
}

// showString is s as it reads best: as it is when it is printable text
// (quoted inside a table), as a Lua literal with escapes when it holds
// control or invalid bytes, and as a hexdump when it is long and binary.
func showString(s string, quoted bool) string {
	if printable(s) {
		if len(s) > showTextMax {
			s = s[:showTextMax] + "…"
		}
		if quoted {
			return strconv.Quote(s)
		}
		return s
	}
	if len(s) > showHexAfter && !quoted {
		return fmt.Sprintf("%d bytes:\n%s", len(s), strings.TrimSuffix(binary.Hexdump([]byte(s), 16), "\n"))
	}
	return luaLiteral(s)
}

// printable reports whether s is UTF-8 text without control characters
// other than tab and newline.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return false
		}
	}
	return true
}

// luaLiteral is s as a Lua string literal that reads back to the same
// bytes, with C escapes where they exist and \ddd elsewhere.
func luaLiteral(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f || r == utf8.RuneError && size == 1:
			// \ddd, padded when a digit follows so that it reads back.
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				fmt.Fprintf(&b, `\%03d`, c)
			} else {
				fmt.Fprintf(&b, `\%d`, c)
			}
		default:
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

// table renders t: the array part first, then the other keys sorted;
// on one line when it is short.
func (sh *shower) table(t *lua.LTable, depth int, indent string) string {
	if sh.seen[t] {
		return fmt.Sprintf("<cycle: %s>", t.String())
	}
	if depth >= showDepth {
		return "{…}"
	}
	sh.seen[t] = true
	defer delete(sh.seen, t)
	var items []string
	more := 0
	n := t.Len()
	for i := 1; i <= n; i++ {
		if len(items) >= showItems {
			more++
			continue
		}
		items = append(items, sh.value(t.RawGetInt(i), depth+1, indent+"  "))
	}
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) {
		if f, ok := k.(lua.LNumber); ok && float64(f) == float64(int(f)) && int(f) >= 1 && int(f) <= n {
			return // in the array part
		}
		keys = append(keys, k)
	})
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	for _, k := range keys {
		if len(items) >= showItems {
			more++
			continue
		}
		items = append(items, sh.key(k, depth)+" = "+sh.value(t.RawGet(k), depth+1, indent+"  "))
	}
	if more > 0 {
		items = append(items, fmt.Sprintf("… (%d more)", more))
	}
	if len(items) == 0 {
		return "{}"
	}
	one := "{" + strings.Join(items, ", ") + "}"
	if visible(one)+len(indent) <= showWidth && !strings.Contains(one, "\n") {
		return one
	}
	inner := indent + "  "
	if len(keys) == 0 && !strings.Contains(one, "\n") {
		// A long list of short values fills its lines, as a paragraph.
		var b strings.Builder
		b.WriteString("{\n" + inner)
		col := len(inner)
		for i, it := range items {
			if i > 0 {
				if col+visible(it)+2 > showWidth {
					b.WriteString(",\n" + inner)
					col = len(inner)
				} else {
					b.WriteString(", ")
					col += 2
				}
			}
			b.WriteString(it)
			col += visible(it)
		}
		return b.String() + ",\n" + indent + "}"
	}
	return "{\n" + inner + strings.Join(items, ",\n"+inner) + ",\n" + indent + "}"
}

// key renders a table key: a name as it is, anything else in brackets.
func (sh *shower) key(k lua.LValue, depth int) string {
	if s, ok := k.(lua.LString); ok && isName(string(s)) {
		return string(s)
	}
	return "[" + sh.value(k, depth+1, "") + "]"
}

// isName reports whether s is a Lua identifier that is no keyword.
func isName(s string) bool {
	if s == "" || luaKeywords[s] {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true,
	"nil": true, "not": true, "or": true, "repeat": true, "return": true, "then": true,
	"true": true, "until": true, "while": true,
}

// keyLess orders keys: numbers first, by value, then strings, then the
// rest by type and text.
func keyLess(a, b lua.LValue) bool {
	an, aNum := a.(lua.LNumber)
	bn, bNum := b.(lua.LNumber)
	switch {
	case aNum && bNum:
		return an < bn
	case aNum != bNum:
		return aNum
	}
	as, aStr := a.(lua.LString)
	bs, bStr := b.(lua.LString)
	switch {
	case aStr && bStr:
		return as < bs
	case aStr != bStr:
		return aStr
	}
	if a.Type() != b.Type() {
		return a.Type() < b.Type()
	}
	return a.String() < b.String()
}
