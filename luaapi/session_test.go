package luaapi

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/internal/testenv"
)

func newTestSession(t *testing.T) (*Session, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	s := New(Options{Stdout: &out, Stderr: &out})
	t.Cleanup(s.Close)
	return s, &out
}

func run(t *testing.T, s *Session, src string) []lua.LValue {
	t.Helper()
	fn, err := s.Compile(src, "test")
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	res, err := s.Call(fn)
	if err != nil {
		t.Fatalf("run %q: %v", src, err)
	}
	return res
}

// interruptWhenRunning calls src and interrupts it once started has fired,
// returning the error and how long the interrupt took.
func interruptWhenRunning(t *testing.T, s *Session, src string) (error, time.Duration) {
	t.Helper()
	started := make(chan struct{})
	setFunc(s, "started", func(*lua.LState) int { close(started); return 0 })
	fn, err := s.Compile(src, "stdin")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		err error
		at  time.Time
	}
	done := make(chan result)
	go func() {
		_, err := s.Call(fn)
		done <- result{err, time.Now()}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("chunk did not start")
	}
	t0 := time.Now()
	if !s.Interrupt() {
		t.Fatal("Interrupt reported nothing running")
	}
	select {
	case r := <-done:
		return r.err, r.at.Sub(t0)
	case <-time.After(10 * time.Second):
		t.Fatal("interrupt did not stop the chunk")
	}
	return nil, 0
}

func TestInterruptBlockedRecvfrom(t *testing.T) {
	s, _ := newTestSession(t)
	port := run(t, s, `s = listen(0, "127.0.0.1"); kept = "state"; return select(2, s:getsockname())`)[0]
	err, took := interruptWhenRunning(t, s, `started(); s:recvfrom()`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted || le.Message != "stdin:1: interrupted" {
		t.Fatalf("err = %#v, want an interrupted *Error", err)
	}
	if bound := testenv.Latency(500 * time.Millisecond); took > bound {
		t.Errorf("interrupt took %v, want < %v", took, bound)
	}
	// Globals and the socket survive: the same socket receives afterwards.
	c, err := net.Dial("udp", "127.0.0.1:"+port.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("after"))
	res := run(t, s, `return kept, (s:recvfrom(100, 5))`)
	if res[0].String() != "state" || res[1].String() != "after" {
		t.Errorf("after interrupt got %v", res)
	}
}

func TestInterruptBusyLoop(t *testing.T) {
	s, _ := newTestSession(t)
	err, took := interruptWhenRunning(t, s, `started() while true do end`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("err = %v, want interrupted", err)
	}
	if bound := testenv.Latency(500 * time.Millisecond); took > bound {
		t.Errorf("interrupt took %v, want < %v", took, bound)
	}
	if got := run(t, s, `return 1 + 1`)[0].String(); got != "2" {
		t.Errorf("after interrupt 1+1 = %s", got)
	}
}

// pcall cannot swallow an interrupt: the chunk still stops.
func TestInterruptThroughPcall(t *testing.T) {
	s, _ := newTestSession(t)
	err, _ := interruptWhenRunning(t, s, `started() while true do pcall(function() while true do end end) end`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("err = %v, want interrupted", err)
	}
}

// A coroutine made before an interrupt can run, and be interrupted, after it.
func TestCoroutineSurvivesInterrupts(t *testing.T) {
	s, _ := newTestSession(t)
	run(t, s, `co = coroutine.wrap(function() while true do coroutine.yield(1) end end)`)
	run(t, s, `spin = coroutine.wrap(function() started() while true do end end)`)
	for i := 0; i < 2; i++ {
		err, _ := interruptWhenRunning(t, s, `started() while true do end`)
		var le *Error
		if !errors.As(err, &le) || !le.Interrupted {
			t.Fatalf("round %d: err = %v", i, err)
		}
		if got := run(t, s, `return co()`)[0].String(); got != "1" {
			t.Fatalf("round %d: old coroutine returned %s", i, got)
		}
	}
	err, _ := interruptWhenRunning(t, s, `spin()`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("interrupt inside an old coroutine: %v", err)
	}
}

func TestInterruptWhenIdle(t *testing.T) {
	s, _ := newTestSession(t)
	if s.Interrupt() {
		t.Error("Interrupt with nothing running reported true")
	}
	if got := run(t, s, `return "fine"`)[0].String(); got != "fine" {
		t.Errorf("got %s", got)
	}
}

func TestCloseClosesSockets(t *testing.T) {
	var out bytes.Buffer
	s := New(Options{Stdout: &out})
	port := run(t, s, `local s = listen(0, "127.0.0.1"); return select(2, s:getsockname())`)[0].String()
	s.Close()
	c, err := net.ListenPacket("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("port %s still held after Close: %v", port, err)
	}
	c.Close()
	s.Close() // a second Close does nothing (it once crashed in the Lua state's)
}

func TestSyntaxErrors(t *testing.T) {
	s, _ := newTestSession(t)
	for _, tc := range []struct {
		src, msg   string
		incomplete bool
	}{
		{"x = = 1", "stdin:1: unexpected symbol near '='", false},
		{"function f()\n  x = 1", "stdin:2: unexpected symbol near '<eof>'", true},
		{"print('a'", "stdin:1: unexpected symbol near '<eof>'", true},
		{"x = 1\n)", "stdin:2: unexpected symbol near ')'", false},
	} {
		_, err := s.Compile(tc.src, "stdin")
		var le *Error
		if !errors.As(err, &le) || le.Message != tc.msg || le.Incomplete != tc.incomplete {
			t.Errorf("Compile(%q) = %#v, want %q incomplete=%v", tc.src, err, tc.msg, tc.incomplete)
		}
	}
}

func TestRuntimeErrorHasTraceback(t *testing.T) {
	s, _ := newTestSession(t)
	fn, _ := s.Compile("local function f() error('boom') end\nf()", "t.lua")
	_, err := s.Call(fn)
	var le *Error
	if !errors.As(err, &le) || le.Message != "t.lua:1: boom" || !strings.Contains(le.Traceback, "t.lua:2: in main chunk") {
		t.Fatalf("err = %#v", err)
	}
}

// Two sessions side by side in one process, one under --safe, do not
// reach into each other: each keeps its sandbox, its random generator,
// its package.path, its globals and its trace.
func TestSessionsSideBySide(t *testing.T) {
	var outSafe, outFree bytes.Buffer
	safe := New(Options{Stdout: &outSafe, Stderr: &outSafe, Safe: true, Allow: Permissions{Net: []string{"127.0.0.1"}}})
	defer safe.Close()
	free := New(Options{Stdout: &outFree, Stderr: &outFree})
	defer free.Close()
	fresh := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	defer fresh.Close()

	// The same seed gives the same sequence, whatever the other session
	// seeds or draws between.
	run(t, free, `math.randomseed(7) first = math.random()`)
	run(t, safe, `math.randomseed(99) for i = 1, 10 do math.random() end`)
	run(t, free, `second = math.random()`)
	run(t, fresh, `math.randomseed(7) first = math.random() second = math.random()`)
	for _, name := range []string{"first", "second"} {
		if a, b := free.main.GetGlobal(name), fresh.main.GetGlobal(name); !lua.LVAsBool(a) || a != b {
			t.Errorf("%s draw: %v in the session seeded 7, %v in a fresh one", name, a, b)
		}
	}

	// The sandbox is the safe session's alone.
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := lua.LString(name)
	safe.main.SetGlobal("path", path)
	free.main.SetGlobal("path", path)
	if r := run(t, safe, `return io.open(path) == nil`); r[0] != lua.LTrue {
		t.Error("the safe session opened a file no flag grants")
	}
	if r := run(t, free, `return io.open(path):read("*a")`); r[0] != lua.LString("data") {
		t.Errorf("the free session read %v", r[0])
	}
	if r := run(t, safe, `return (pcall(os.execute, "true"))`); r[0] != lua.LFalse {
		t.Error("the safe session ran a program")
	}

	// package.path, globals and trace stay each session's.
	run(t, free, `package.path = "/nowhere/?.lua" shared = 1 trace(true)`)
	if r := run(t, safe, `return package.path ~= "/nowhere/?.lua", shared == nil`); r[0] != lua.LTrue || r[1] != lua.LTrue {
		t.Errorf("the other session's package.path or globals leaked: %v", r)
	}
	outSafe.Reset()
	run(t, safe, `local s = listen(0, "127.0.0.1") local _, p = s:getsockname() sendto("x", "127.0.0.1", p) s:recvfrom() s:close()`)
	if strings.Contains(outSafe.String(), "udp ") {
		t.Errorf("the other session's trace printed here: %q", outSafe.String())
	}
}
