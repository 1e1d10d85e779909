package binary

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// The format language of Lua 5.3's string.pack, for Lua 5.1: gopher-lua's
// numbers are doubles, so an integer must be exact in one — no larger
// than 2^53 in magnitude — or packing and unpacking it is an error rather
// than a silent rounding.

const (
	maxIntSize   = 16 // i16 is the widest integer
	nativeAlign  = 8  // what "!" alone sets
	maxPackSize  = math.MaxInt32
	maxExactUint = 1 << 53
)

// packOpt is one option of a format.
type packOpt struct {
	kind     byte // 'i' integer, 'f' float, 's' length-prefixed, 'z', 'c' fixed string, 'x' pad, 'X' align, 0 nothing
	size     int  // bytes of the value (of the length, for 's')
	signed   bool
	little   bool
	ntoalign int // padding before it
}

// formatError is a mistake in a format string.
type formatError string

// packState reads a format string.
type packState struct {
	fmt      string
	i        int
	little   bool
	maxAlign int
}

func newPackState(format string) *packState {
	return &packState{fmt: format, little: true, maxAlign: 1}
}

func (p *packState) digit() bool { return p.i < len(p.fmt) && p.fmt[p.i] >= '0' && p.fmt[p.i] <= '9' }

// num reads an optional size, or returns def.
func (p *packState) num(def int) int {
	if !p.digit() {
		return def
	}
	n := 0
	for p.digit() && n <= (maxPackSize-9)/10 {
		n = n*10 + int(p.fmt[p.i]-'0')
		p.i++
	}
	return n
}

// intSize reads an integer option's size, 1 to 16.
func (p *packState) intSize(def int) int {
	n := p.num(def)
	if n > maxIntSize || n <= 0 {
		panic(formatError(fmt.Sprintf("integral size (%d) out of limits [1,%d]", n, maxIntSize)))
	}
	return n
}

// option reads the next option; ok is false at the end of the format.
// Options that only set state (endianness, alignment, spaces) come back
// with kind 0.
func (p *packState) option() (o packOpt, ok bool) {
	if p.i >= len(p.fmt) {
		return o, false
	}
	c := p.fmt[p.i]
	p.i++
	o.little = p.little
	switch c {
	case 'b', 'B':
		o = packOpt{kind: 'i', size: 1, signed: c == 'b'}
	case 'h', 'H':
		o = packOpt{kind: 'i', size: 2, signed: c == 'h'}
	case 'l', 'L', 'j', 'J':
		o = packOpt{kind: 'i', size: 8, signed: c == 'l' || c == 'j'}
	case 'T':
		o = packOpt{kind: 'i', size: 8}
	case 'i', 'I':
		o = packOpt{kind: 'i', size: p.intSize(4), signed: c == 'i'}
	case 'f':
		o = packOpt{kind: 'f', size: 4}
	case 'd', 'n':
		o = packOpt{kind: 'f', size: 8}
	case 's':
		o = packOpt{kind: 's', size: p.intSize(8)}
	case 'z':
		o = packOpt{kind: 'z'}
	case 'c':
		if !p.digit() {
			panic(formatError("missing size for format option 'c'"))
		}
		o = packOpt{kind: 'c', size: p.num(0)}
	case 'x':
		o = packOpt{kind: 'x', size: 1}
	case 'X':
		o = packOpt{kind: 'X'}
	case ' ':
	case '<', '=':
		p.little = true
	case '>':
		p.little = false
	case '!':
		p.maxAlign = p.intSize(nativeAlign)
	default:
		panic(formatError(fmt.Sprintf("invalid format option '%c'", c)))
	}
	o.little = p.little
	return o, true
}

// next reads an option with its alignment padding at position pos.
func (p *packState) next(pos int) (o packOpt, ok bool) {
	o, ok = p.option()
	if !ok {
		return o, false
	}
	align := o.size
	if o.kind == 'X' {
		// The option after X only gives the alignment; it is consumed.
		next, more := p.option()
		if !more || next.kind == 'c' || next.kind == 0 || next.size == 0 {
			panic(formatError("invalid next option for option 'X'"))
		}
		align = next.size
	}
	if align <= 1 || o.kind == 'c' || o.kind == 0 {
		return o, true
	}
	if align > p.maxAlign {
		align = p.maxAlign
	}
	if align&(align-1) != 0 {
		panic(formatError("format asks for alignment not power of 2"))
	}
	o.ntoalign = (align - pos&(align-1)) & (align - 1)
	return o, true
}

// packError is a bad value for an option: it names the argument.
type packError struct {
	arg int
	msg string
}

// exactInt reads v as an integer exact in a double.
func exactInt(v float64) (int64, string) {
	if v != math.Trunc(v) || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, "number has no integer representation"
	}
	if math.Abs(v) > maxExactUint {
		return 0, fmt.Sprintf("%.0f is beyond 2^53: a double cannot hold it exactly", v)
	}
	return int64(v), ""
}

// putInt writes n in size bytes, sign-extended beyond 8 bytes.
func putInt(out []byte, n int64, size int, little bool) []byte {
	b := make([]byte, size)
	u := uint64(n)
	for i := 0; i < size; i++ {
		var byt byte
		if i < 8 {
			byt = byte(u >> (8 * i))
		} else if n < 0 {
			byt = 0xff
		}
		if little {
			b[i] = byt
		} else {
			b[size-1-i] = byt
		}
	}
	return append(out, b...)
}

// getInt reads a size-byte integer; ok is false when it does not fit a
// double exactly.
func getInt(b []byte, size int, little, signed bool) (float64, bool) {
	ordered := make([]byte, size) // most significant first
	for i := 0; i < size; i++ {
		if little {
			ordered[size-1-i] = b[i]
		} else {
			ordered[i] = b[i]
		}
	}
	n := new(big.Int).SetBytes(ordered)
	if signed && ordered[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*size)))
	}
	if n.CmpAbs(big.NewInt(maxExactUint)) > 0 {
		return 0, false
	}
	return float64(n.Int64()), true
}

func lPack(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "pack"}
	format := a.Name(1, L.Get(1), "format")
	out, perr := pack(format, func(i int) lua.LValue { return L.Get(i + 2) }, func(n int) { procmem.Alloc(L, int64(n)) })
	if perr != nil {
		a.Raise(perr.arg, "%s", perr.msg)
	}
	procmem.Alloc(L, int64(len(out)))
	L.Push(lua.LString(out))
	return 1
}

// pack builds the packed string; arg(i) is the i-th value (from 0). ask
// is asked for the size of the buffer before it grows past 64 KiB (the
// memory budget: it raises when the size would pass it).
func pack(format string, arg func(int) lua.LValue, ask func(int)) (out []byte, perr *packError) {
	// room makes room for n more bytes, asking first.
	room := func(n int) {
		if len(out)+n > cap(out) && len(out)+n >= procmem.CheckMin {
			newCap := max(2*cap(out), len(out)+n)
			ask(newCap)
			out = slices.Grow(out, newCap-len(out))
		}
	}
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(formatError)
			if !ok {
				panic(r)
			}
			perr = &packError{arg: 1, msg: string(fe)}
		}
	}()
	p := newPackState(format)
	n := 0
	for {
		o, ok := p.next(len(out))
		if !ok {
			return out, nil
		}
		room(o.ntoalign + o.size)
		out = append(out, make([]byte, o.ntoalign)...)
		argn := n + 2
		switch o.kind {
		case 'i':
			v, isNum := bind.ToNumber(arg(n))
			if !isNum {
				return nil, &packError{argn, fmt.Sprintf("number expected, got %s", bind.Describe(arg(n)))}
			}
			iv, msg := exactInt(v)
			if msg != "" {
				return nil, &packError{argn, msg}
			}
			if o.size < 8 {
				lim := int64(1) << (o.size*8 - 1)
				if o.signed && (iv < -lim || iv >= lim) {
					return nil, &packError{argn, "integer overflow"}
				}
				if !o.signed && (iv < 0 || iv >= 2*lim) {
					return nil, &packError{argn, "unsigned overflow"}
				}
			} else if !o.signed && iv < 0 && o.size > 8 {
				return nil, &packError{argn, "unsigned overflow"}
			}
			out = putInt(out, iv, o.size, o.little)
			n++
		case 'f':
			v, isNum := bind.ToNumber(arg(n))
			if !isNum {
				return nil, &packError{argn, fmt.Sprintf("number expected, got %s", bind.Describe(arg(n)))}
			}
			if o.size == 4 {
				out = putUint(out, uint64(math.Float32bits(float32(v))), 4, o.little)
			} else {
				out = putUint(out, math.Float64bits(v), 8, o.little)
			}
			n++
		case 's', 'z', 'c':
			str, isStr := toBytes(arg(n))
			if !isStr {
				return nil, &packError{argn, fmt.Sprintf("string expected, got %s", bind.Describe(arg(n)))}
			}
			switch o.kind {
			case 's':
				if o.size < 8 && uint64(len(str)) >= uint64(1)<<(8*o.size) {
					return nil, &packError{argn, "string length does not fit in given size"}
				}
				out = putInt(out, int64(len(str)), o.size, o.little)
				room(len(str))
				out = append(out, str...)
			case 'z':
				if strings.IndexByte(str, 0) >= 0 {
					return nil, &packError{argn, "string contains zeros"}
				}
				room(len(str) + 1)
				out = append(append(out, str...), 0)
			case 'c':
				if len(str) > o.size {
					return nil, &packError{argn, "string longer than given size"}
				}
				out = append(out, str...)
				out = append(out, make([]byte, o.size-len(str))...)
			}
			n++
		case 'x':
			out = append(out, 0)
		}
	}
}

func putUint(out []byte, u uint64, size int, little bool) []byte {
	b := make([]byte, size)
	if size == 4 {
		if little {
			binary.LittleEndian.PutUint32(b, uint32(u))
		} else {
			binary.BigEndian.PutUint32(b, uint32(u))
		}
	} else if little {
		binary.LittleEndian.PutUint64(b, u)
	} else {
		binary.BigEndian.PutUint64(b, u)
	}
	return append(out, b...)
}

// toBytes reads a string argument; numbers convert, as in Lua.
func toBytes(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	}
	return "", false
}

func lPacksize(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "packsize"}
	format := a.Name(1, L.Get(1), "format")
	size, msg := packsize(format)
	if msg != "" {
		a.Raise(1, "%s", msg)
	}
	L.Push(lua.LNumber(size))
	return 1
}

func packsize(format string) (size int, msg string) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(formatError)
			if !ok {
				panic(r)
			}
			msg = string(fe)
		}
	}()
	p := newPackState(format)
	for {
		o, ok := p.next(size)
		if !ok {
			return size, ""
		}
		if o.kind == 's' || o.kind == 'z' {
			return 0, "variable-length format"
		}
		size += o.ntoalign + o.size
		if size > maxPackSize {
			return 0, "format result too large"
		}
	}
}

// StringUnpack is string.unpack(fmt, data [, pos]): the global unpack
// without Lua 5.1's table form.
func StringUnpack(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "unpack"}
	format := a.Name(1, L.Get(1), "format")
	data, ok := toBytes(L.Get(2))
	if !ok {
		a.Raise(2, "string expected, got %s", bind.Describe(L.Get(2)))
	}
	pos := 1
	if L.Get(3) != lua.LNil {
		pos = a.IntIn(3, L.Get(3), "pos", -1<<31, 1<<31-1)
	}
	vals, next, uerr := unpack(format, data, pos)
	if uerr != nil {
		a.Raise(uerr.arg, "%s", uerr.msg)
	}
	for _, v := range vals {
		L.Push(v)
	}
	L.Push(lua.LNumber(next))
	return len(vals) + 1
}

// unpack reads the values of format from data at pos (1-based; negative
// counts from the end), and returns them with the position after them.
func unpack(format, data string, pos int) (vals []lua.LValue, next int, uerr *packError) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(formatError)
			if !ok {
				panic(r)
			}
			uerr = &packError{arg: 1, msg: string(fe)}
		}
	}()
	if pos < 0 {
		if -pos > len(data) {
			pos = 0
		} else {
			pos = len(data) + pos + 1
		}
	}
	i := pos - 1
	if i < 0 || i > len(data) {
		return nil, 0, &packError{3, "initial position out of string"}
	}
	p := newPackState(format)
	for {
		o, ok := p.next(i)
		if !ok {
			return vals, i + 1, nil
		}
		need := o.ntoalign + o.size
		if o.kind == 'X' {
			need = o.ntoalign
		}
		if need > len(data)-i {
			return nil, 0, &packError{2, "data string too short"}
		}
		i += o.ntoalign
		b := data[i:]
		switch o.kind {
		case 'i':
			v, fits := getInt([]byte(b[:o.size]), o.size, o.little, o.signed)
			if !fits {
				return nil, 0, &packError{2, fmt.Sprintf("%d-byte integer does not fit into a Lua 5.1 number exactly (beyond 2^53)", o.size)}
			}
			vals = append(vals, lua.LNumber(v))
		case 'f':
			var f float64
			if o.size == 4 {
				u := binary.LittleEndian.Uint32([]byte(b[:4]))
				if !o.little {
					u = binary.BigEndian.Uint32([]byte(b[:4]))
				}
				f = float64(math.Float32frombits(u))
			} else {
				u := binary.LittleEndian.Uint64([]byte(b[:8]))
				if !o.little {
					u = binary.BigEndian.Uint64([]byte(b[:8]))
				}
				f = math.Float64frombits(u)
			}
			vals = append(vals, lua.LNumber(f))
		case 's':
			n, fits := getInt([]byte(b[:o.size]), o.size, o.little, false)
			if !fits || n > float64(len(b)-o.size) {
				return nil, 0, &packError{2, "data string too short"}
			}
			vals = append(vals, lua.LString(b[o.size:o.size+int(n)]))
			i += int(n)
		case 'z':
			end := strings.IndexByte(b, 0)
			if end < 0 {
				return nil, 0, &packError{2, "unfinished string for format 'z'"}
			}
			vals = append(vals, lua.LString(b[:end]))
			i += end + 1
			continue
		case 'c':
			vals = append(vals, lua.LString(b[:o.size]))
		}
		if o.kind != 'X' {
			i += o.size
		}
	}
}
