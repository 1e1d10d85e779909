package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

func pythonCmd(t *testing.T, script string, args ...string) *exec.Cmd {
	abs, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.Need(t, "python3", "python3"), append([]string{abs}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONUTF8=1", "PYTHONIOENCODING=utf-8")
	return cmd
}

// messages cross between Python's socket module and sockshell unchanged.
var messages = []string{"hello", "héllo 你好 \t end", "Bye"}

// receivedData checks a receiver's transcript line by line and returns the
// data fields it printed.
func receivedData(t *testing.T, out string) []string {
	t.Helper()
	var data []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := receivedLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected line %q in %q", line, out)
		}
		data = append(data, m[1])
	}
	return data
}

// The chapter's Python sender talks to sockshell's receiver.
func TestPythonSenderToSockshellReceiver(t *testing.T) {
	testenv.Need(t, "python3", "python3")
	rx, port := startReady(t, "scripts/receiver.lua", "0")
	for _, m := range messages {
		r := runCmd(t, pythonCmd(t, "chapter_sender.py", m, strconv.Itoa(port)), "")
		if r.code != 0 {
			t.Fatalf("python sender: %+v", r)
		}
	}
	if code := rx.wait(t); code != 0 {
		t.Fatalf("receiver exited %d", code)
	}
	if got := receivedData(t, rx.stdout.String()); strings.Join(got, "|") != strings.Join(messages, "|") {
		t.Errorf("received %q, want %q", got, messages)
	}
}

// sockshell's sender talks to the chapter's Python receiver.
func TestSockshellSenderToPythonReceiver(t *testing.T) {
	cmd := pythonCmd(t, "chapter_receiver.py", "0")
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		defer close(done)
		r := bufio.NewReader(errPipe)
		line, _ := r.ReadString('\n')
		ready <- line
		io.Copy(io.Discard, r)
		cmd.Wait()
	}()
	defer func() { cmd.Process.Kill(); <-done }()
	var port int
	select {
	case line := <-ready:
		if _, err := fmt.Sscanf(line, "ready %d", &port); err != nil {
			t.Fatalf("python receiver said %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("python receiver did not bind")
	}
	for _, m := range messages {
		if r := sockshell(t, "", "scripts/sender.lua", m, "127.0.0.1", strconv.Itoa(port)); r.code != 0 {
			t.Fatalf("sender: %+v", r)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("python receiver did not stop at bye")
	}
	if got := receivedData(t, out.String()); strings.Join(got, "|") != strings.Join(messages, "|") {
		t.Errorf("received %q, want %q", got, messages)
	}
}
