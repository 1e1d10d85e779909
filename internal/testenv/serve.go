package testenv

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Serve runs a real server (argv) for a test and stops it when the test
// ends. It returns once a line of the server's output (stdout or stderr)
// holds ready, with the server's process, or ends the test when the
// server stops or is not ready within 30 seconds.
func Serve(t testing.TB, ready string, argv ...string) *os.Process {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	seen := make(chan struct{})
	var mu sync.Mutex
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if !found && strings.Contains(sc.Text(), ready) {
				found = true
				close(seen)
			}
		}
	}()
	output := func() string {
		mu.Lock()
		defer mu.Unlock()
		return log.String()
	}
	select {
	case <-seen:
	case <-done:
		t.Fatalf("%s ended before it was ready:\n%s", argv[0], output())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not ready:\n%s", argv[0], output())
	}
	return cmd.Process
}
