package testenv

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that notes how a test ended: as the real one,
// Skip and Fatal end the goroutine that calls them.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string); runtime.Goexit() }
func (r *recorder) Fatal(args ...any) { r.failed = args[0].(string); runtime.Goexit() }

// need runs Need as a test's goroutine would.
func need(t *testing.T, program, pkg string) (path string, r *recorder) {
	r = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		path = Need(r, program, pkg)
	}()
	<-done
	return path, r
}

func TestNeedFindsAProgram(t *testing.T) {
	if path, r := need(t, "sh", "dash"); !strings.HasSuffix(path, "/sh") || r.skipped != "" || r.failed != "" {
		t.Fatalf("Need(sh) = %q, skipped %q, failed %q", path, r.skipped, r.failed)
	}
}

func TestMissingProgramSkipsOutsideCIAndFailsInCI(t *testing.T) {
	const want = "no-such-program-4711 is missing: apt-get install -y some-package"
	t.Setenv("CI", "")
	if path, r := need(t, "no-such-program-4711", "some-package"); path != "" || r.skipped != want || r.failed != "" {
		t.Fatalf("outside CI: path %q, skipped %q, failed %q", path, r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	if path, r := need(t, "no-such-program-4711", "some-package"); path != "" || r.failed != want || r.skipped != "" {
		t.Fatalf("in CI: path %q, skipped %q, failed %q", path, r.skipped, r.failed)
	}
}

// Latency holds a test to the promise in a plain build and gives the race
// detector's build five times it.
func TestLatency(t *testing.T) {
	want := 100 * time.Millisecond
	if raceEnabled {
		want = 500 * time.Millisecond
	}
	if got := Latency(100 * time.Millisecond); got != want {
		t.Errorf("Latency(100ms) = %v, want %v (race %v)", got, want, raceEnabled)
	}
}
