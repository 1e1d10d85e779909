package luaapi

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/scripts"
)

// setFunc makes a Go function a global of the session.
func setFunc(s *Session, name string, fn lua.LGFunction) { s.Register(name, fn) }

func global(s *Session, name string) string { return s.Global(name).String() }

// receive waits for a value on ch, failing the test after a while.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("%s: not within 10 s", what)
	}
	var zero T
	return zero
}

// Ctrl-C during a foreground chunk stops that chunk only: a task running
// in the background goes on and still receives.
func TestInterruptSparesTasks(t *testing.T) {
	s, _ := newTestSession(t)
	got := make(chan string, 10)
	setFunc(s, "got", func(L *lua.LState) int { got <- L.CheckString(1); return 0 })
	port := run(t, s, `
s = listen(0, "127.0.0.1")
worker = spawn(function()
  while true do got((s:recvfrom())) end
end)
return select(2, s:getsockname())`)[0].String()
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("one"))
	// The foreground spins after its sleep, during which the task
	// received "one"; then the spin is interrupted.
	err, _ = interruptWhenRunning(t, s, `sleep(0.05) started() while true do end`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("foreground: %v", err)
	}
	if d := receive(t, got, "first datagram"); d != "one" {
		t.Fatalf("got %q", d)
	}
	if st := run(t, s, `return worker.status`)[0].String(); st != "waiting" {
		t.Fatalf("after the interrupt the worker is %s", st)
	}
	c.Write([]byte("two"))
	if d := receive(t, got, "datagram after the interrupt"); d != "two" {
		t.Fatalf("got %q", d)
	}
}

// A task that never gives way cannot freeze the session: InterruptTask
// (Ctrl-C at the prompt) stops it, and only it.
func TestInterruptTaskStopsAHog(t *testing.T) {
	s, out := newTestSession(t)
	started := make(chan struct{})
	setFunc(s, "started", func(*lua.LState) int { close(started); return 0 })
	run(t, s, `
patient = spawn(sleep, 60)
hog = spawn(function() started() while true do end end)`)
	receive(t, started, "hog start")
	if !s.InterruptTask() {
		t.Fatal("no task was running")
	}
	if got := run(t, s, `hog:wait() return hog.status, patient.status, #tasks()`); got[0].String() != "cancelled" || got[1].String() != "waiting" || got[2].String() != "1" {
		t.Errorf("statuses %v", got)
	}
	if !strings.Contains(out.String(), "task#2 (test:3) interrupted\n") {
		t.Errorf("output %q", out.String())
	}
	if s.InterruptTask() {
		t.Error("InterruptTask with no task running reported true")
	}
}

// Drain waits for tasks to end, and Interrupt stops them all.
func TestDrain(t *testing.T) {
	s, _ := newTestSession(t)
	run(t, s, `done = 0; for i = 1, 3 do spawn(function() sleep(0.001 * i) done = done + 1 end) end`)
	if err := s.Drain(nil); err != nil {
		t.Fatal(err)
	}
	if global(s, "done") != "3" || s.Alive() != 0 {
		t.Errorf("done = %s, alive = %d", global(s, "done"), s.Alive())
	}
	waiting := make(chan struct{})
	setFunc(s, "waiting", func(*lua.LState) int { close(waiting); return 0 })
	run(t, s, `forever = spawn(function() waiting() sleep(60) end)`)
	result := make(chan error)
	go func() { result <- s.Drain(nil) }()
	receive(t, waiting, "task start")
	deadline := time.Now().Add(10 * time.Second)
	for !s.Interrupt() { // Interrupt reports false until Drain runs
		if time.Now().After(deadline) {
			t.Fatal("Drain never ran")
		}
	}
	var le *Error
	if err := receive(t, result, "Drain's end"); !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("Drain = %v", err)
	}
	if got := run(t, s, `return forever.status`)[0].String(); got != "cancelled" {
		t.Errorf("status %s", got)
	}
	// A stop that came before Drain ran still stops it.
	run(t, s, `again = spawn(sleep, 60)`)
	stop := make(chan struct{})
	close(stop)
	if err := s.Drain(stop); !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("Drain(stopped) = %v", err)
	}
}

// os.exit in a task ends the session with its code.
func TestExitInTask(t *testing.T) {
	s, _ := newTestSession(t)
	run(t, s, `spawn(function() sleep(0.001) os.exit(9) end); other = spawn(sleep, 60)`)
	var exit *ExitError
	if err := s.Drain(nil); !errors.As(err, &exit) || exit.Code != 9 {
		t.Fatalf("Drain = %v, want exit 9", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after os.exit")
	}
}

// A Go function that ends the context its own code runs under stops that
// code at once: not one Lua instruction runs after os.exit caught by
// pcall, or after a task's cancel of itself.
func TestOwnEndStopsAtOnce(t *testing.T) {
	for name, src := range map[string]string{
		"exit in pcall": `ran = 0; spawn(function() pcall(os.exit, 3) ran = 1 ran = 2 ran = 3 end)`,
		"self-cancel":   `ran = 0; local me; me = spawn(function() sleep(0) me:cancel() ran = 1 ran = 2 ran = 3 end)`,
	} {
		t.Run(name, func(t *testing.T) {
			for range 20 {
				s, _ := newTestSession(t)
				run(t, s, src)
				s.Drain(nil)
				if got := s.main.GetGlobal("ran"); got != lua.LNumber(0) {
					t.Fatalf("ran = %v after the end, want 0", got)
				}
			}
		})
	}
}

// bg finds a bundled script by name from any directory, as the command
// line does.
func TestBgBuiltinScript(t *testing.T) {
	t.Chdir(t.TempDir())
	var out strings.Builder
	s := New(Options{Stdout: &out, Stderr: &out, Builtin: scripts.FS, PluginDirs: []PluginDir{}})
	defer s.Close()
	got := run(t, s, `
local probe = listen(0, "127.0.0.1")
local port = select(2, probe:getsockname())
probe:close()
local r = bg("receiver", port)
sleep(0) -- it binds and waits
local name = tostring(r)
sendto("bye", "127.0.0.1", port)
return r:wait(5), r.status, name`)
	if got[1].String() != "done" || !strings.Contains(out.String(), "received message:bye from PORT") {
		t.Errorf("bg(\"receiver\"): %v, output %q", got, out.String())
	}
	// A task bg started is named by its script.
	if got[2].String() != "task#1{waiting, receiver}" {
		t.Errorf("tostring(bg(\"receiver\", port)) = %s", got[2])
	}
}
