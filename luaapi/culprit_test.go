package luaapi

import (
	"errors"
	"testing"
)

// Errors that gopher-lua words vaguely name their culprit as Lua 5.1 does.
func TestErrorsNameTheCulprit(t *testing.T) {
	cases := []struct{ src, want string }{
		{`recvfom(1)`, `x:1: attempt to call global 'recvfom' (a nil value); did you mean 'recvfrom'?`},
		{`return recvfom(1)`, `x:1: attempt to call global 'recvfom' (a nil value); did you mean 'recvfrom'?`},
		{`nosuchthing()`, `x:1: attempt to call global 'nosuchthing' (a nil value)`},
		{"local e = listen(0, '127.0.0.1')\ne:recvfom()", `x:2: attempt to call method 'recvfom' (a nil value); udp sockets have close, getoption, getsockname, join, leave, recvfrom, sendto, setoption, settimeout; did you mean 'recvfrom'?`},
		{"gsock = listen(0, '127.0.0.1')\ngsock:recvfom()", `x:2: attempt to call method 'recvfom' (a nil value); udp sockets have close, getoption, getsockname, join, leave, recvfrom, sendto, setoption, settimeout; did you mean 'recvfrom'?`},
		{`local t = spawn(sleep, 0) t:wiat()`, `x:1: attempt to call method 'wiat'`},
		{`dns = {} dns.qury("x")`, `x:1: attempt to call field 'qury'`},
		{`local t = nil; print(t.x)`, `x:1: attempt to index local 't' (a nil value)`},
		{`local up; local function g() return up.x end g()`, `x:1: attempt to index upvalue 'up' (a nil value)`},
		{`x = {} x.y.z = 1`, `x:1: attempt to index field 'y' (a nil value)`},
		{`nothing.here = 1`, `x:1: attempt to index global 'nothing' (a nil value)`},
		{`local n = 5 n()`, `x:1: attempt to call local 'n' (a number value)`},
		{`local t = {} return t + 1`, `x:1: attempt to perform arithmetic on local 't' (a table value)`},
		{`count = nil; return 1 + count`, `x:1: attempt to perform arithmetic on global 'count' (a nil value)`},
		{`local name; return "hello " .. name`, `x:1: attempt to concatenate local 'name' (a nil value)`},
		{`local cfg = {} return cfg.port * 2`, `x:1: attempt to perform arithmetic on field 'port' (a nil value)`},
		{`error("plain")`, `x:1: plain`},
	}
	s, _ := newTestSession(t)
	for _, c := range cases {
		fn, err := s.Compile(c.src, "x")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Call(fn)
		var le *Error
		if !errors.As(err, &le) || le.Message != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}
