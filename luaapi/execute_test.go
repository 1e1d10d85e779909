package luaapi

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// While os.execute's program runs, the session's tasks go on: here the
// program waits for a file that a task makes (for at most 10 seconds).
func TestExecuteLetsTasksRun(t *testing.T) {
	s, _ := newTestSession(t)
	flag := filepath.Join(t.TempDir(), "flag")
	got := run(t, s, fmt.Sprintf(`local flag = %q
spawn(function() io.open(flag, "w"):close() end)
return os.execute("timeout 10 sh -c 'until [ -e " .. flag .. " ]; do sleep 0.01; done'")`, flag))
	if got[0].String() != "0" {
		t.Errorf("os.execute = %v: the task did not run while the program did", got)
	}
}

// Cancelling a task in os.execute ends the program and the wait at once.
func TestExecuteStops(t *testing.T) {
	s, _ := newTestSession(t)
	started := filepath.Join(t.TempDir(), "started")
	t0 := time.Now()
	got := run(t, s, fmt.Sprintf(`local started = %q
local t = spawn(os.execute, "touch " .. started .. "; exec sleep 60")
for _ = 1, 1000 do -- until the program runs, at most 10 s
  if io.open(started) then break end
  sleep(0.01)
end
t:cancel()
return t:wait(5), t.status`, started))
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
