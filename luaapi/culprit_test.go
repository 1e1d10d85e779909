package luaapi

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/scripts"
)

// Errors that gopher-lua words vaguely name their culprit as Lua 5.1 does.
func TestErrorsNameTheCulprit(t *testing.T) {
	cases := []struct{ src, want string }{
		{`recvfom(1)`, `x:1: attempt to call global 'recvfom' (a nil value); did you mean 'recvfrom'?`},
		{`return recvfom(1)`, `x:1: attempt to call global 'recvfom' (a nil value); did you mean 'recvfrom'?`},
		{`nosuchthing()`, `x:1: attempt to call global 'nosuchthing' (a nil value)`},
		{"local e = listen(0, '127.0.0.1')\ne:recvfom()", `x:2: attempt to call method 'recvfom' (a nil value); udp sockets have close, getoption, getsockname, join, leave, recvfrom, sendto, setoption, settimeout; did you mean 'recvfrom'?`},
		{"gsock = listen(0, '127.0.0.1')\ngsock:recvfom()", `x:2: attempt to call method 'recvfom' (a nil value); udp sockets have close, getoption, getsockname, join, leave, recvfrom, sendto, setoption, settimeout; did you mean 'recvfrom'?`},
		{`local t = spawn(sleep, 0) t:wiat()`, `x:1: attempt to call method 'wiat' (a nil value)`},
		{`dns = {} dns.qury("x")`, `x:1: attempt to call field 'qury' (a nil value)`},
		{`local t = {f = 1} t.f(t.g())`, `x:1: attempt to call field 'g' (a nil value)`},
		{`local t = {} t.f(t.f())`, `x:1: attempt to call field 'f' (a nil value)`},
		{`("text"):nosuch()`, `x:1: attempt to call method 'nosuch' (a nil value)`},
		{`local t = nil; print(t.x)`, `x:1: attempt to index local 't' (a nil value)`},
		{`local up; local function g() return up.x end g()`, `x:1: attempt to index upvalue 'up' (a nil value)`},
		{`x = {} x.y.z = 1`, `x:1: attempt to index field 'y' (a nil value)`},
		{`nothing.here = 1`, `x:1: attempt to index global 'nothing' (a nil value)`},
		{`capure.read("x")`, `x:1: attempt to index global 'capure' (a nil value); did you mean 'capture'?`},
		{`socket.gettime()`, `x:1: attempt to index global 'socket' (a nil value); it is a module: socket = require "socket"`},
		{`tcp.connect("127.0.0.1", 9)`, `x:1: attempt to index global 'tcp' (a nil value); help "tcp" shows what there is`},
		{`local n = 5 n()`, `x:1: attempt to call local 'n' (a number value)`},
		{`local t = {} return t + 1`, `x:1: attempt to perform arithmetic on local 't' (a table value)`},
		{`count = nil; return 1 + count`, `x:1: attempt to perform arithmetic on global 'count' (a nil value)`},
		{`local name; return "hello " .. name`, `x:1: attempt to concatenate local 'name' (a nil value)`},
		{`local cfg = {} return cfg.port * 2`, `x:1: attempt to perform arithmetic on field 'port' (a nil value)`},
		{`local t; return #t`, `x:1: attempt to get length of local 't' (a nil value)`},
		{`local t = {} return -t`, `x:1: attempt to perform arithmetic on local 't' (a table value)`},
		{`return #(nil)`, `x:1: attempt to get length of a nil value`},
		{`for i = "a", 2 do end`, `x:1: 'for' initial value must be a number`},
		{`for i = 1, {} do end`, `x:1: 'for' limit must be a number`},
		{`return {} < {}`, `x:1: attempt to compare two table values`},
		{`return 1 < "2"`, `x:1: attempt to compare number with string`},
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
		// pcall gets the same words, on the same line.
		pfn, err := s.Compile("return select(2, pcall(function() "+c.src+" end))", "x")
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.Call(pfn); err != nil || len(res) == 0 || res[0].String() != c.want {
			t.Errorf("in pcall: %s:\n got %v %v\nwant %s", c.src, res, err, c.want)
		}
	}
}

// TestHooksArePerState: a session's hooks on the VM (the reworded errors,
// the memory check) are its state's; a plain gopher-lua state in the same
// process keeps gopher-lua's behaviour.
func TestHooksArePerState(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	plain := lua.NewState()
	defer plain.Close()
	if plain.G.ExplainError != nil || plain.G.AllocCheck != nil {
		t.Fatal("a plain state has the session's hooks")
	}
	err := plain.DoString(`local t = nil; t.x = 1`)
	if err == nil || strings.Contains(err.Error(), "local 't'") {
		t.Errorf("a plain state's error was reworded: %v", err)
	}
	if got := eval(t, s, `return select(2, pcall(function() local t = nil; t.x = 1 end))`); !strings.Contains(got, "attempt to index local 't' (a nil value)") {
		t.Errorf("the session's error: %q", got)
	}
}

// A plugin used before require says how to load it, built in or in a
// plugin directory.
func TestPluginUsedAsAGlobal(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine.lua"), []byte("return {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	s := New(Options{Stdout: &out, Stderr: &out, Builtin: scripts.FS, PluginDirs: []PluginDir{{Dir: dir, From: "test"}}})
	defer s.Close()
	for src, want := range map[string]string{
		`dns.query("example.test")`: `attempt to index global 'dns' (a nil value); it is a module: dns = require "dns"`,
		`mine.go()`:                 `attempt to index global 'mine' (a nil value); it is a module: mine = require "mine"`,
		`local d = require "dns"; return d.query ~= nil`: "",
	} {
		fn, err := s.Compile(src, "x")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Call(fn)
		if (want == "" && err != nil) || (want != "" && (err == nil || !strings.Contains(err.Error(), want))) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

// BenchmarkNilGlobalError is the cost of an error naming a nil global,
// caught by pcall: the culprit, the module and topic hints, the closest
// name.
func BenchmarkNilGlobalError(b *testing.B) {
	s := New(Options{Stdout: io.Discard, Stderr: io.Discard, Builtin: scripts.FS, PluginDirs: []PluginDir{{Dir: b.TempDir(), From: "test"}}})
	defer s.Close()
	fn, err := s.Compile(`local f = function() return nosuch.x end
		for i = 1, 1000 do pcall(f) end`, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Call(fn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000/1000, "µs/error")
}
