package luaapi

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// dispatchUntil runs the session's events, as the shell does when idle,
// until cond holds or a deadline passes.
func dispatchUntil(t *testing.T, s *Session, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case ev := <-s.Events():
			s.Dispatch(ev)
		case <-deadline:
			t.Fatal("condition not reached")
		}
	}
}

func global(s *Session, name string) string { return s.L.GetGlobal(name).String() }

// Ctrl-C during a foreground chunk stops that chunk only: a task running
// in the background goes on and still receives.
func TestInterruptSparesTasks(t *testing.T) {
	s, _ := newTestSession(t)
	port := run(t, s, `
s = listen(0, "127.0.0.1")
got = {}
worker = spawn(function()
  while true do
    local d = s:recvfrom()
    got[#got + 1] = d
    last = d
  end
end)
return select(2, s:getsockname())`)[0].String()
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("one"))
	// The foreground spins; the task receives "one" while it waits inside
	// the foreground's sleep, then the spin is interrupted.
	err, _ = interruptWhenRunning(t, s, `sleep(0.05) started() while true do end`)
	var le *Error
	if !errors.As(err, &le) || !le.Interrupted {
		t.Fatalf("foreground: %v", err)
	}
	if got := run(t, s, `return worker.status, #got, last`); got[0].String() != "waiting" || got[1].String() != "1" || got[2].String() != "one" {
		t.Fatalf("after the interrupt: %v", got)
	}
	c.Write([]byte("two"))
	dispatchUntil(t, s, func() bool { return global(s, "last") == "two" })
}

// A task that never yields cannot freeze the session: InterruptTask (Ctrl-C
// at the prompt) stops it, and only it.
func TestInterruptTaskStopsAHog(t *testing.T) {
	s, out := newTestSession(t)
	started := make(chan struct{})
	s.L.SetGlobal("started", s.L.NewFunction(func(*lua.LState) int { close(started); return 0 }))
	run(t, s, `
patient = spawn(sleep, 60)
hog = spawn(function() started() while true do end end)`)
	done := make(chan struct{})
	go func() {
		s.Dispatch(nil) // runs the hog until it is stopped
		close(done)
	}()
	<-started
	if !s.InterruptTask() {
		t.Fatal("no task was running")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the hog was not stopped")
	}
	if got := run(t, s, `return hog.status, patient.status, #tasks()`); got[0].String() != "cancelled" || got[1].String() != "waiting" || got[2].String() != "1" {
		t.Errorf("statuses %v", got)
	}
	if !strings.Contains(out.String(), "task#2 (test:3) interrupted\n") {
		t.Errorf("output %q", out.String())
	}
	if s.InterruptTask() {
		t.Error("InterruptTask with no task running reported true")
	}
}

// Drain runs tasks to their end, and Interrupt stops them all.
func TestDrain(t *testing.T) {
	s, _ := newTestSession(t)
	run(t, s, `done = 0; for i = 1, 3 do spawn(function() sleep(0.001 * i) done = done + 1 end) end`)
	if err := s.Drain(nil); err != nil {
		t.Fatal(err)
	}
	if global(s, "done") != "3" || s.Alive() != 0 {
		t.Errorf("done = %s, alive = %d", global(s, "done"), s.Alive())
	}
	run(t, s, `forever = spawn(sleep, 60)`)
	result := make(chan error)
	go func() { result <- s.Drain(nil) }()
	deadline := time.After(5 * time.Second)
	for !s.Interrupt() { // Interrupt reports false until Drain runs
		select {
		case <-deadline:
			t.Fatal("Drain never ran")
		default:
		}
	}
	var le *Error
	if err := <-result; !errors.As(err, &le) || !le.Interrupted {
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
}
