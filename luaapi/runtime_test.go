package luaapi

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// Interrupts landing on connect with a timeout, 50 of them, end each chunk
// cleanly: no crash (it once panicked in Go's context package), no race.
func TestInterruptsLandOnConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	s, _ := newTestSession(t)
	port := ln.Addr().(*net.TCPAddr).Port
	for i := 0; i < 50; i++ {
		err, _ := interruptWhenRunning(t, s, fmt.Sprintf(`started()
while true do
  local c = connect("127.0.0.1", %d, 30)
  if c then c:close() end
end`, port))
		var le *Error
		if !errors.As(err, &le) || !le.Interrupted {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	if got := run(t, s, `return 1 + 1`)[0].String(); got != "2" {
		t.Errorf("after the interrupts: %s", got)
	}
}

// waitGoroutines waits until the task goroutines have all ended.
func waitGoroutines(t *testing.T, s *Session) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		s.sched.wg.Wait()
		close(done)
	}()
	receive(t, done, "task goroutines to end")
}

// Cancelling 1000 tasks blocked in recvfrom leaves no goroutine behind.
func TestCancelledWaitsLeaveNothing(t *testing.T) {
	s, _ := newTestSession(t)
	run(t, s, `sock = listen(0, "127.0.0.1")`)
	runtime.GC()
	before := runtime.NumGoroutine()
	got := run(t, s, `
local all = {}
for i = 1, 1000 do all[i] = spawn(function() return sock:recvfrom() end) end
sleep(0) -- every task runs and waits
local waiting = 0
for i = 1, #all do if all[i].status == "waiting" then waiting = waiting + 1 end end
for i = 1, #all do all[i]:cancel() end
return waiting, #tasks()`)
	if got[0].String() != "1000" || got[1].String() != "0" {
		t.Fatalf("waiting, alive = %v", got)
	}
	waitGoroutines(t, s)
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
	// The socket still works for the next reader.
	if got := run(t, s, `sendto("still", sock:getsockname()) return (sock:recvfrom(100, 5))`)[0].String(); got != "still" {
		t.Errorf("after the cancels: %q", got)
	}
}

// Close while 500 calls wait (reads, accepts, sleeps, waits for tasks)
// returns promptly and leaves nothing running.
func TestCloseWhileWaiting(t *testing.T) {
	before := runtime.NumGoroutine()
	s := New(Options{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}})
	run(t, s, `
local u = listen(0, "127.0.0.1")
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local sleeper = spawn(sleep, 60)
for i = 1, 500 do
  local k = i % 4
  if k == 0 then spawn(function() return u:recvfrom() end)
  elseif k == 1 then spawn(function() return l:accept() end)
  elseif k == 2 then spawn(sleep, 60)
  else spawn(function() return sleeper:wait() end) end
end
sleep(0)`)
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	receive(t, closed, "Close")
	waitGoroutines(t, s)
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
}

// 1000 tasks each giving way 100 times all finish, taking turns.
func TestManyTasksTakeTurns(t *testing.T) {
	s, _ := newTestSession(t)
	got := run(t, s, `
local count, all = 0, {}
for i = 1, 1000 do
  all[i] = spawn(function() for _ = 1, 100 do count = count + 1 sleep(0) end end)
end
for i = 1, #all do all[i]:wait() end
return count`)
	if got[0].String() != "100000" {
		t.Errorf("count = %s", got[0])
	}
}

// A task that hogs the session is stopped by InterruptTask while another
// task's socket keeps receiving: what came meanwhile is all read after.
func TestHogStoppedWhileOthersReceive(t *testing.T) {
	s, _ := newTestSession(t)
	hogging := make(chan struct{})
	setFunc(s, "hogging", func(*lua.LState) int { close(hogging); return 0 })
	got := make(chan string, 100)
	setFunc(s, "got", func(L *lua.LState) int { got <- L.CheckString(1); return 0 })
	port := run(t, s, `
local r = listen(0, "127.0.0.1")
spawn(function() while true do got((r:recvfrom())) end end)
sleep(0) -- the receiver waits
hog = spawn(function() hogging() while true do end end)
return select(2, r:getsockname())`)[0].String()
	receive(t, hogging, "hog start")
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 10; i++ {
		fmt.Fprintf(c, "d%d", i)
	}
	if !s.InterruptTask() {
		t.Fatal("no task was running")
	}
	for i := 0; i < 10; i++ {
		if d := receive(t, got, "datagram"); d != fmt.Sprintf("d%d", i) {
			t.Fatalf("datagram %d: %q", i, d)
		}
	}
	if st := run(t, s, `return hog.status`)[0].String(); st != "cancelled" {
		t.Errorf("hog %s", st)
	}
}

// A Go panic in a binding is a Lua error that says it is a bug; pcall
// catches it, a task it ends fails alone, and the session goes on.
func TestPanicInBindingIsALuaError(t *testing.T) {
	s, out := newTestSession(t)
	s.sched.enter(s.main, nil)
	s.main.SetGlobal("boom", s.bind(libFunc{&bind.Doc{Name: "boom"}, func(*Session, *lua.LState) int {
		var m map[string]int
		m["x"] = 1 // a nil map: Go panics
		return 0
	}}))
	s.sched.leave()
	got := run(t, s, `
local ok, err = pcall(boom)
local t = spawn(boom)
local other = spawn(function() sleep(0.001) return "fine" end)
return ok, err, select(2, t:wait()), other:wait()`)
	if got[0] != lua.LFalse || !strings.Contains(got[1].String(), "internal error: boom: assignment to entry in nil map (a bug in sockshell") {
		t.Errorf("pcall(boom) = %v, %v", got[0], got[1])
	}
	if !strings.Contains(got[2].String(), "internal error: boom") || got[3].String() != "fine" {
		t.Errorf("tasks: %v, %v", got[2], got[3])
	}
	if !strings.Contains(out.String(), "task#1 (test:3) failed: internal error: boom") {
		t.Errorf("output %q", out.String())
	}
}

// Ctrl-C stops sleep(math.huge) (which once returned at once).
func TestInterruptSleepForever(t *testing.T) {
	s, _ := newTestSession(t)
	start := time.Now()
	err, _ := interruptWhenRunning(t, s, `started() sleep(math.huge)`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

// xpcall with debug.traceback in a task shows where the error happened.
func TestXpcallTracebackInTask(t *testing.T) {
	s, _ := newTestSession(t)
	got := run(t, s, `
local function fails() sleep(0.001) error("deep") end
return spawn(function() return xpcall(fails, debug.traceback) end):wait()`)
	if got[0] != lua.LFalse || !strings.Contains(got[1].String(), "test:2: deep") ||
		!strings.Contains(got[1].String(), "test:2: in function") {
		t.Errorf("xpcall = %v, %q", got[0], got[1])
	}
}

// A chunk stopped by Ctrl-C does not keep its sockets' ports: the next
// bind of the port closes them first.
func TestInterruptedChunkFreesItsPort(t *testing.T) {
	s, _ := newTestSession(t)
	err, _ := interruptWhenRunning(t, s, `local s = listen(0, "127.0.0.1") port = select(2, s:getsockname()) started() s:recvfrom()`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("err = %v", err)
	}
	if got := run(t, s, `local s, err = listen(port, "127.0.0.1") return s ~= nil, err`); got[0] != lua.LTrue {
		t.Errorf("bind after the interrupt: %v", got)
	}
}

// sockets() lists the open sockets with their traffic, and each can be
// closed from the list.
func TestSocketsList(t *testing.T) {
	s, out := newTestSession(t)
	got := run(t, s, `
local u = listen(0, "127.0.0.1")
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local p = l:accept()
sendto("hello", u:getsockname())
u:recvfrom()
c:send("12345\n")
assert(p:receive() == "12345")
local list = sockets()
io.write(tostring(list))
local n = #list
list[1]:close()
return n, #sockets(), tostring(u)`)
	if got[0].String() != "4" || got[1].String() != "3" || !strings.HasSuffix(got[2].String(), ", closed}") {
		t.Errorf("sockets: %v", got)
	}
	// Columns under a header, as wide as their widest cell.
	lines := strings.Split(out.String(), "\n")
	want := []string{
		`^KIND        LOCAL            PEER             AGE    IN   OUT$`,
		`^udp         127\.0\.0\.1:\d{5}  -                \s+\d+s  1/5B  0/0B$`,
		`^tcp-listen  127\.0\.0\.1:\d{5}  -                \s+\d+s  1/0B  0/0B$`,
		`^tcp         127\.0\.0\.1:\d{5}  127\.0\.0\.1:\d{5}  \s+\d+s  0/0B  1/6B$`,
		// The line's end came in too: bytes off the network, not those
		// receive returned.
		`^tcp         127\.0\.0\.1:\d{5}  127\.0\.0\.1:\d{5}  \s+\d+s  1/6B  0/0B$`,
	}
	for i, re := range want {
		if i >= len(lines) || !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d: %q, want %s\nall:\n%s", i+1, lines[min(i, len(lines)-1)], re, out.String())
		}
	}
	if err := s.RunCommand("sockets"); err != nil || !strings.Contains(out.String(), "tcp-listen") {
		t.Errorf(":sockets: %v", err)
	}
}

// A chunk that fails after handing a closure to a task leaves the task
// its variables: the task does not crash on them.
func TestFailedChunkKeepsTaskUpvalues(t *testing.T) {
	s, out := newTestSession(t)
	got := make(chan string, 1)
	setFunc(s, "got", func(L *lua.LState) int { got <- L.ToString(1); return 0 })
	fn, err := s.Compile(`local s = listen(0, "127.0.0.1")
local label = "the socket"
spawn(function() got(label .. " " .. tostring(s):match("^udp")) end)
error("after spawn")`, "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Call(fn); err == nil || !strings.Contains(err.Error(), "after spawn") {
		t.Fatalf("chunk: %v", err)
	}
	run(t, s, `local a, b, c, d = 1, 2, 3, 4 sleep(0)`) // reuses the registers
	if v := receive(t, got, "the task"); v != "the socket udp" {
		t.Errorf("task saw %q; output %q", v, out.String())
	}
}

// A chunk's read that waits while no task is alive keeps the baton, and
// gives it up as soon as Go code asks for it: the code gets it while the
// read waits on, and the read then gets its datagram.
func TestReadAloneGivesWay(t *testing.T) {
	s, _ := newTestSession(t)
	port := run(t, s, `sock = listen(0, "127.0.0.1"); return select(2, sock:getsockname())`)[0]
	alone := make(chan struct{}, 1)
	waitingAlone = func() {
		select {
		case alone <- struct{}{}:
		default:
		}
	}
	defer func() { waitingAlone = func() {} }()
	fn, err := s.Compile(`return (sock:recvfrom(100, 60))`, "test")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		vals []lua.LValue
		err  error
	}
	done := make(chan result, 1)
	go func() {
		vals, err := s.Call(fn)
		done <- result{vals, err}
	}()
	receive(t, alone, "the read to wait keeping the baton")
	asked := make(chan lua.LValue, 1)
	go func() { asked <- s.Global("sock") }()
	select {
	case v := <-asked:
		if v.Type() != lua.LTUserData {
			t.Errorf("Global(sock) = %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Go code asking for the baton waited for the read")
	}
	c, err := net.Dial("udp", "127.0.0.1:"+port.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("came"))
	select {
	case r := <-done:
		if r.err != nil || len(r.vals) != 1 || r.vals[0].String() != "came" {
			t.Fatalf("read: %v %v", r.vals, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end")
	}
}

// Cancelling a task blocked in recvfrom returns at once, not when the
// read next looks at its context (every 50 ms): 40 of them, 20 taking
// turns on one socket and 20 on sockets of their own, are cancelled one
// after the other in well under a slice each.
func TestCancelWakesBlockedReads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads in the kernel are woken on Linux; elsewhere they look at their context every 50 ms")
	}
	s, _ := newTestSession(t)
	rest := cancelWaiting(t, s, 40, 50, `
shared = listen(0, "127.0.0.1")
for i = 1, 20 do all[#all + 1] = spawn(function() return shared:recvfrom() end) end
for i = 1, 20 do
  local own = listen(0, "127.0.0.1")
  all[#all + 1] = spawn(function() return own:recvfrom() end)
end`, `
-- The socket still works.
sendto("after", shared:getsockname())
return (shared:recvfrom(100, 5))`)
	if rest[0].String() != "after" {
		t.Errorf("after the cancels the socket read %q", rest[0])
	}
}

// cancelWaiting runs setup, Lua code that puts n tasks, each of which
// waits in a blocking call, in the table all; lets them all begin to
// wait; cancels them one after the other, and checks that this took well
// under the slice (ms) after which each wait would have looked at its
// context by itself (a fifth of it each). Then it runs after, and returns
// its values.
func cancelWaiting(t *testing.T, s *Session, n int, slice float64, setup, after string) []lua.LValue {
	t.Helper()
	t0 := time.Now()
	s.Register("ms", func(L *lua.LState) int {
		L.Push(lua.LNumber(float64(time.Since(t0).Microseconds()) / 1000))
		return 1
	})
	got := run(t, s, `all = {}
`+setup+`
sleep(0) -- every task runs and waits
local waiting = 0
for _, t in ipairs(all) do if t.status == "waiting" then waiting = waiting + 1 end end
local began = ms()
for _, t in ipairs(all) do t:cancel() end
return waiting, ms() - began, (function() `+after+` end)()`)
	if got[0].String() != strconv.Itoa(n) {
		t.Fatalf("%s tasks waiting, want %d", got[0], n)
	}
	took := float64(got[1].(lua.LNumber))
	t.Logf("%d cancels took %.2f ms", n, took)
	if limit := float64(n) * slice / 5; took > limit {
		t.Errorf("%d cancels took %.0f ms, want well under a %.0f ms slice each (%.0f ms in all)", n, took, slice, limit)
	}
	return got[2:]
}
