package luasocket

import (
	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// mime.core, the filters under LuaSocket's mime module: Base64,
// quoted-printable, line wrapping, end-of-line normalization and SMTP dot
// stuffing. Each works on a stream in pieces, as LTN12 filters do: it takes
// a chunk and what was left over from the last one, and returns what it
// could convert and what is left; called without a chunk it finishes.

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var b64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i := 0; i < 64; i++ {
		t[b64Alphabet[i]] = byte(i)
	}
	t['='] = 0
	return t
}()

var qpHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i, c := range "0123456789ABCDEF" {
		t[c] = byte(i)
	}
	for i, c := range "abcdef" {
		t[c] = byte(10 + i)
	}
	return t
}()

// mimeModule makes mime.core's table for the session.
func (s *State) mimeModule(L *lua.LState) *lua.LTable {
	m := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"b64": mimeB64, "unb64": mimeUnb64, "qp": mimeQP, "unqp": mimeUnqp,
		"wrp": mimeWrp, "qpwrp": mimeQPWrp, "eol": mimeEOL, "dot": mimeDot,
	} {
		m.RawSetString(name, L.NewFunction(fn))
	}
	m.RawSetString("_VERSION", lua.LString("MIME 1.0.3"))
	return m
}

// optBytes is luaL_optlstring: a string or number at n, or none.
func optBytes(L *lua.LState, fn string, n int) ([]byte, bool) {
	v := L.Get(n)
	if v == lua.LNil {
		return nil, false
	}
	return []byte(bind.Args{L: L, Fn: fn}.CheckString(n)), true
}

// mimeResult pushes out and the rest: out is nil when it is empty and the
// input ended.
func mimeResult(L *lua.LState, out []byte, rest []byte, ended bool) int {
	if ended {
		if len(out) == 0 {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(out))
		}
		L.Push(lua.LNil)
		return 2
	}
	L.Push(lua.LString(out))
	L.Push(lua.LString(rest))
	return 2
}

func b64Encode(out, atom []byte) []byte {
	v := uint(atom[0])<<16 | uint(atom[1])<<8 | uint(atom[2])
	return append(out, b64Alphabet[v>>18], b64Alphabet[v>>12&63], b64Alphabet[v>>6&63], b64Alphabet[v&63])
}

// mimeStep is one call of a filter that converts bytes in groups (an
// atom): feed takes one byte, adding what it can convert to out and
// keeping the rest in atom; finish, at the input's end, converts the rest.
type mimeStep struct {
	out, atom []byte
	feed      func(m *mimeStep, b byte)
	finish    func(m *mimeStep)
}

// run is the call f(C [, D]): C, then D, and without D the end.
func (m *mimeStep) run(L *lua.LState, fn string) int {
	c, ok := optBytes(L, fn, 1)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	for _, b := range c {
		m.feed(m, b)
	}
	d, ok := optBytes(L, fn, 2)
	if !ok {
		if m.finish != nil {
			m.finish(m)
		}
		return mimeResult(L, m.out, nil, true)
	}
	for _, b := range d {
		m.feed(m, b)
	}
	return mimeResult(L, m.out, m.atom, false)
}

// mimeB64 is b64(C [, D]): the Base64 of the longest prefix of C..D whose
// length is a multiple of 3, and the rest; b64(C) pads and finishes.
func mimeB64(L *lua.LState) int {
	m := &mimeStep{
		feed: func(m *mimeStep, b byte) {
			m.atom = append(m.atom, b)
			if len(m.atom) == 3 {
				m.out = b64Encode(m.out, m.atom)
				m.atom = m.atom[:0]
			}
		},
		finish: func(m *mimeStep) {
			switch len(m.atom) {
			case 1:
				v := uint(m.atom[0]) << 4
				m.out = append(m.out, b64Alphabet[v>>6], b64Alphabet[v&63], '=', '=')
			case 2:
				v := (uint(m.atom[0])<<8 | uint(m.atom[1])) << 2
				m.out = append(m.out, b64Alphabet[v>>12], b64Alphabet[v>>6&63], b64Alphabet[v&63], '=')
			}
		},
	}
	return m.run(L, "b64")
}

// mimeUnb64 is unb64(C [, D]), the reverse of b64: characters outside the
// alphabet are skipped.
func mimeUnb64(L *lua.LState) int {
	m := &mimeStep{feed: func(m *mimeStep, b byte) {
		if b64Values[b] > 64 {
			return
		}
		m.atom = append(m.atom, b)
		if len(m.atom) < 4 {
			return
		}
		a := m.atom
		v := uint(b64Values[a[0]])<<18 | uint(b64Values[a[1]])<<12 | uint(b64Values[a[2]])<<6 | uint(b64Values[a[3]])
		dec := []byte{byte(v >> 16), byte(v >> 8), byte(v)}
		switch {
		case a[2] == '=':
			dec = dec[:1]
		case a[3] == '=':
			dec = dec[:2]
		}
		m.out = append(m.out, dec...)
		m.atom = m.atom[:0]
	}}
	return m.run(L, "unb64")
}

// qpClass is how quoted-printable encoding treats a byte.
func qpClass(b byte) byte {
	switch {
	case b == '\t' || b == ' ':
		return 'l' // plain unless last on a line
	case b == '\r':
		return 'r' // maybe the start of CRLF
	case b >= 33 && b <= 60 || b >= 62 && b <= 126:
		return 'p' // plain
	}
	return 'q' // quoted
}

func qpQuote(out []byte, b byte) []byte {
	const hex = "0123456789ABCDEF"
	return append(out, '=', hex[b>>4], hex[b&15])
}

// mimeQP is qp(C [, D [, marker]]): the quoted-printable of what of C..D
// can be encoded without seeing more, and the rest; CRLF becomes marker.
func mimeQP(L *lua.LState) int {
	marker := "\r\n"
	if L.Get(3) != lua.LNil {
		marker = bind.Args{L: L, Fn: "qp"}.CheckString(3)
	}
	m := &mimeStep{
		feed: func(m *mimeStep, b byte) {
			m.atom = append(m.atom, b)
			for len(m.atom) > 0 {
				a := m.atom
				switch qpClass(a[0]) {
				case 'r':
					if len(a) < 2 {
						return
					}
					if a[1] == '\n' {
						m.out = append(m.out, marker...)
						m.atom = a[:0]
						return
					}
					m.out = qpQuote(m.out, a[0])
				case 'l':
					if len(a) < 3 {
						return
					}
					if a[1] == '\r' && a[2] == '\n' {
						m.out = append(qpQuote(m.out, a[0]), marker...)
						m.atom = a[:0]
						return
					}
					m.out = append(m.out, a[0])
				case 'q':
					m.out = qpQuote(m.out, a[0])
				default:
					m.out = append(m.out, a[0])
				}
				m.atom = a[1:]
			}
		},
		finish: func(m *mimeStep) {
			for _, b := range m.atom {
				if qpClass(b) == 'p' {
					m.out = append(m.out, b)
				} else {
					m.out = qpQuote(m.out, b)
				}
			}
			if len(m.atom) > 0 {
				m.out = append(m.out, "=\r\n"...)
			}
		},
	}
	return m.run(L, "qp")
}

// mimeUnqp is unqp(C [, D]), the reverse of qp.
func mimeUnqp(L *lua.LState) int {
	m := &mimeStep{feed: func(m *mimeStep, b byte) {
		m.atom = append(m.atom, b)
		a := m.atom
		switch a[0] {
		case '=':
			if len(a) < 3 {
				return
			}
			if !(a[1] == '\r' && a[2] == '\n') {
				hi, lo := qpHex[a[1]], qpHex[a[2]]
				if hi > 15 || lo > 15 {
					m.out = append(m.out, a...)
				} else {
					m.out = append(m.out, hi<<4|lo)
				}
			}
		case '\r':
			if len(a) < 2 {
				return
			}
			if a[1] == '\n' {
				m.out = append(m.out, a...)
			}
		default:
			if a[0] == '\t' || a[0] > 31 && a[0] < 127 {
				m.out = append(m.out, a[0])
			}
		}
		m.atom = a[:0]
	}}
	return m.run(L, "unqp")
}

// mimeWrp is wrp(left, B [, length]): B broken into lines of at most
// length bytes, left being the room on the current line; it returns the
// text and the room left.
func mimeWrp(L *lua.LState) int { return wrapText(L, "wrp", "\r\n", 0, 0) }

// mimeQPWrp is qpwrp(left, B [, length]): wrp for quoted-printable text,
// with soft line breaks, never inside an =XX.
func mimeQPWrp(L *lua.LState) int { return wrapText(L, "qpwrp", "=\r\n", 1, 3) }

// wrapText is wrp and qpwrp: a line break (soft) goes in before a byte
// when the room left is at most room (eqRoom before an "="); a line feed
// in B ends a line (CRLF) and a CR is dropped. Without B it finishes the
// last line (soft, if it has anything) and resets the room to length.
func wrapText(L *lua.LState, fn, soft string, room, eqRoom int) int {
	a := bind.Args{L: L, Fn: fn}
	left := int(a.CheckNumber(1))
	in, ok := optBytes(L, fn, 2)
	length := int(a.OptNumber(3, 76))
	if !ok {
		if left < length {
			L.Push(lua.LString(soft))
		} else {
			L.Push(lua.LNil)
		}
		L.Push(lua.LNumber(length))
		return 2
	}
	var out []byte
	for _, b := range in {
		switch b {
		case '\r':
		case '\n':
			out = append(out, '\r', '\n')
			left = length
		default:
			limit := room
			if b == '=' {
				limit = eqRoom
			}
			if left <= limit {
				left = length
				out = append(out, soft...)
			}
			out = append(out, b)
			left--
		}
	}
	L.Push(lua.LString(out))
	L.Push(lua.LNumber(left))
	return 2
}

// mimeEOL is eol(ctx, B [, marker]): every end of line in B (CR, LF, CRLF
// or LFCR) as marker; ctx carries a pending CR or LF between calls.
func mimeEOL(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "eol"}
	ctx := int(a.CheckNumber(1))
	in, ok := optBytes(L, "eol", 2)
	marker := "\r\n"
	if L.Get(3) != lua.LNil {
		marker = a.CheckString(3)
	}
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNumber(0))
		return 2
	}
	isEOL := func(c int) bool { return c == '\r' || c == '\n' }
	var out []byte
	for _, b := range in {
		c := int(b)
		switch {
		case !isEOL(c):
			out = append(out, b)
			ctx = 0
		case isEOL(ctx):
			if c == ctx {
				out = append(out, marker...)
			}
			ctx = 0
		default:
			out = append(out, marker...)
			ctx = c
		}
	}
	L.Push(lua.LString(out))
	L.Push(lua.LNumber(ctx))
	return 2
}

// mimeDot is dot(state, B): B with SMTP's dot stuffing (a "." that starts
// a line doubled); state carries how much of CRLF was last seen.
func mimeDot(L *lua.LState) int {
	state := int(bind.Args{L: L, Fn: "dot"}.CheckNumber(1))
	in, ok := optBytes(L, "dot", 2)
	if !ok {
		L.Push(lua.LNil)
		L.Push(lua.LNumber(2))
		return 2
	}
	var out []byte
	for _, b := range in {
		out = append(out, b)
		switch {
		case b == '\r':
			state = 1
		case b == '\n' && state == 1:
			state = 2
		case b == '.' && state == 2:
			out = append(out, '.')
			state = 0
		default:
			state = 0
		}
	}
	L.Push(lua.LString(out))
	L.Push(lua.LNumber(state))
	return 2
}
