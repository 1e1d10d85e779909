package luaapi

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// While os.execute's program runs, the session's tasks go on: here the
// program waits (for at most 10 seconds) for a line that a task writes
// to it through a named pipe.
func TestExecuteLetsTasksRun(t *testing.T) {
	s, _ := newTestSession(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	got := run(t, s, fmt.Sprintf(`local fifo = %q
assert(os.execute("mkfifo " .. fifo) == 0)
spawn(function() local f = io.open(fifo, "w") f:write("go\n") f:close() end)
return os.execute("timeout 10 sh -c 'read line < " .. fifo .. "'")`, fifo))
	if got[0].String() != "0" {
		t.Errorf("os.execute = %v: the task did not run while the program did", got)
	}
}

// Cancelling a task in os.execute ends the program and the wait at once.
// The program says it runs with a datagram (bash's /dev/udp).
func TestExecuteStops(t *testing.T) {
	s, _ := newTestSession(t)
	t0 := time.Now()
	got := run(t, s, `local ready = listen(0, "127.0.0.1")
local port = select(2, ready:getsockname())
local t = spawn(os.execute, "bash -c 'echo running > /dev/udp/127.0.0.1/" .. port .. "; exec sleep 60'")
assert(ready:recvfrom(100, 10) == "running\n")
t:cancel()
return t:wait(5), t.status`)
	if got[1].String() != "cancelled" || time.Since(t0) > 10*time.Second {
		t.Errorf("got %v after %v", got, time.Since(t0))
	}
}

// Its status is C's system's, as in Lua 5.1; a bad argument names it.
func TestExecuteStatus(t *testing.T) {
	s, _ := newTestSession(t)
	got := run(t, s, `return os.execute("exit 3"), os.execute("true"), os.execute(), os.execute("kill -9 $$"), select(2, pcall(os.execute, {}))`)
	want := []string{"768", "0", "1", "9", "bad argument #1 to 'execute' (command must be a string, got table)"}
	for i, w := range want {
		if i >= len(got) || !strings.Contains(got[i].String(), w) {
			t.Errorf("result %d: %v, want %q", i+1, got, w)
		}
	}
}
