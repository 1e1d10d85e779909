// Package testenv finds the programs that tests run beside sockshell (a
// DNS server, Python, tshark, …). Outside CI a missing program skips the
// test with the command that installs it; in CI (CI=true), where .ci/run
// installs them all, it fails the test.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Need returns the path of program, which Debian's package pkg installs,
// or ends the test: skipped outside CI, failed in CI. Servers installed in
// /usr/sbin are found even when that is not on PATH.
func Need(t testing.TB, program, pkg string) string {
	t.Helper()
	if path, err := exec.LookPath(program); err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		p := filepath.Join(dir, program)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p
		}
	}
	Missing(t, program+" is missing: apt-get install -y "+pkg)
	return ""
}

// Missing ends a test that cannot run here for the reason given: skipped
// outside CI, failed in CI.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}

// Latency is the bound a test holds a promised latency to: the promise
// itself, or five times it under the race detector, which slows every
// memory access several times over, so that a loaded machine running
// -race fails no test that a plain build passes with room to spare.
func Latency(promise time.Duration) time.Duration {
	if raceEnabled {
		return 5 * promise
	}
	return promise
}

// Build builds the command in the package directory pkg into a directory
// of its own, for tests that run the real binary; cleanup removes it.
func Build(pkg string) (binary string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "sockshell-test")
	if err != nil {
		return "", nil, err
	}
	binary = filepath.Join(dir, filepath.Base(mustAbs(pkg)))
	if out, err := exec.Command("go", "build", "-o", binary, pkg).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return binary, func() { os.RemoveAll(dir) }, nil
}

// mustAbs is path made absolute (path itself when it cannot be).
func mustAbs(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
