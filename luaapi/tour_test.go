package luaapi

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockshell/sockshell/scripts"
)

// Every line of the tour runs, and does what its step says, on free ports
// in place of 5000 and 5001.
func TestTourLinesRun(t *testing.T) {
	out := &lockedBuffer{}
	s := New(Options{Stdout: out, Stderr: out, Builtin: scripts.FS, PluginDirs: []PluginDir{}})
	defer s.Close()
	got := run(t, s, `local a, b = listen(0), listen(0)
local pa, pb = select(2, a:getsockname()), select(2, b:getsockname())
a:close() b:close()
return pa, pb`)
	ports := strings.NewReplacer("5000", got[0].String(), "5001", got[1].String())
	want := map[string]string{
		`sendto("hello", "127.0.0.1", 5000)`: "received message:hello from PORT",
		`sendto("BYE", "127.0.0.1", 5000)`:   "received message:BYE from PORT",
		`r`:                                  "task#1{waiting",
		`r.status`:                           "done",
		`hostinfo()`:                         "hostname = ",
		`sendto("to everyone", "127.255.255.255", 5001)`: "received message:to everyone from PORT",
		`sendto("bye", "127.0.0.1", 5001)`:               " -> 127.0.0.1:",
	}
	for i, step := range tourSteps {
		out.Reset()
		run(t, s, fmt.Sprintf("tour(%d)", i+1))
		if !strings.Contains(out.String(), fmt.Sprintf("Step %d of %d.", i+1, len(tourSteps))) || !strings.Contains(out.String(), step.line) {
			t.Errorf("tour(%d) showed %q", i+1, out.String())
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if len(l) > s.width() {
				t.Errorf("tour(%d): a line wider than %d columns: %q", i+1, s.width(), l)
			}
		}
		if step.line == "" {
			continue
		}
		out.Reset()
		line := ports.Replace(step.line)
		fn, err := s.Compile("return "+line, "tour") // as the prompt runs a line
		if err != nil {
			fn, err = s.Compile(line, "tour")
		}
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Call(fn)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		shown := ""
		if len(res) > 0 {
			shown = s.Show(res[0])
		}
		// What a receiver task prints comes a moment later: give way
		// until it is there, within a deadline.
		w := want[step.line]
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(shown+out.String(), w) && time.Now().Before(deadline) {
			run(t, s, "sleep(0.001)")
			if !strings.Contains(line, "(\"") { // no call with arguments: look again
				if res, err := s.Call(fn); err == nil && len(res) > 0 {
					shown = s.Show(res[0])
				}
			}
		}
		if !strings.Contains(shown+out.String(), w) {
			t.Errorf("%s showed %q, want %q in it", line, shown+out.String(), w)
		}
	}
}

// lockedBuffer is a buffer that tasks may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}
