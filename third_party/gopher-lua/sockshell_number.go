package lua

import (
	"errors"
	"strconv"
	"strings"
)

// sockshell: strings become numbers as in Lua 5.1 (luaO_str2d), where
// upstream used Go's parsers with Go's syntax: "010" was octal 8,
// "0b11", "0o17" and "1_0" were numbers, "1e3" was none for tonumber.
// See README.sockshell.md.

// errNotNumber is str2number's failure as parseNumber's callers take it.
var errNotNumber = errors.New("not a number")

// str2number reads s as Lua 5.1 reads a numeral in a string: optional
// white space, an optional sign, then a decimal number (digits with an
// optional point and an optional exponent) or a hexadecimal integer after
// "0x", then optional white space. A number beyond the range of a double
// is an infinity, as C's strtod gives.
func str2number(s string) (LNumber, bool) {
	s = strings.TrimFunc(s, isCSpace)
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg, body = body[0] == '-', body[1:]
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		v := 0.0
		for i := 2; i < len(body); i++ {
			d := hexDigit(body[i])
			if d < 0 {
				return 0, false
			}
			v = v*16 + float64(d)
		}
		if neg {
			v = -v
		}
		return LNumber(v), true
	}
	i, digits := 0, 0
	for i < len(body) && isDecimalDigit(body[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(body) && body[i] == '.' {
		for i++; i < len(body) && isDecimalDigit(body[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		start := i
		for i < len(body) && isDecimalDigit(body[i]) {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i != len(body) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return LNumber(v), true
}

// isCSpace is C's isspace in the C locale.
func isCSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
}

func isDecimalDigit(c byte) bool { return c >= '0' && c <= '9' }

// hexDigit is the value of the hexadecimal digit c, -1 when it is none.
func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// forNumber is a numeric for's initial value, limit or step as Lua 5.1
// takes it: a number, or a string that is a numeral.
func forNumber(v LValue) (LNumber, bool) {
	switch n := v.(type) {
	case LNumber:
		return n, true
	case LString:
		return str2number(string(n))
	}
	return 0, false
}
