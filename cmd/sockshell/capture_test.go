package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockshell/sockshell/internal/testenv"
)

// startRedis runs a real redis-server on a free loopback port until the
// test ends, with extra options; it returns the port.
func startRedis(t *testing.T, extra ...string) int {
	t.Helper()
	redis := testenv.Need(t, "redis-server", "redis-server")
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	testenv.Serve(t, "Ready to accept connections", append([]string{redis, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir()}, extra...)...)
	return port
}

// From a capture to a test: a conversation with a real redis-server,
// captured by the real tshark, becomes a script with capture.script; run
// against the server it reports every answer as captured and exits 0;
// against a server that answers otherwise, it says which answer differs
// and exits 1.
func TestCaptureScriptFromTshark(t *testing.T) {
	port := startRedis(t)
	dir := t.TempDir()
	capFile, script := filepath.Join(dir, "redis.pcapng"), filepath.Join(dir, "client.lua")
	c := testenv.StartCapture(t, "tshark", "lo", fmt.Sprintf("tcp port %d", port), capFile)
	r := runCmd(t, command("-e", fmt.Sprintf(`local r = assert(require("sockshell.redis").connect("127.0.0.1", %d))
assert(r:call("SET", "greeting", "hello") == "OK")
assert(r:call("GET", "greeting") == "hello")
r:close()`, port)), "")
	if r.code != 0 {
		t.Fatalf("talking to redis: %d %s", r.code, r.stderr)
	}
	c.Stop()
	r = runCmd(t, command("-e", fmt.Sprintf(`local text = assert(capture.script(%q, "tcp port %d"))
assert(io.open(%q, "w")):write(text)`, capFile, port, script)), "")
	if r.code != 0 {
		t.Fatalf("capture.script: %d %s", r.code, r.stderr)
	}
	r = runCmd(t, command(script, fmt.Sprintf("127.0.0.1:%d", port)), "")
	if r.code != 0 || r.stdout != "answer 1.1: as captured (5 bytes)\nanswer 1.2: as captured (11 bytes)\n" {
		t.Errorf("against the captured server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := startRedis(t, "--requirepass", "secret")
	r = runCmd(t, command(script, fmt.Sprintf("127.0.0.1:%d", other)), "")
	if r.code != 1 || !strings.Contains(r.stdout, "answer 1.1: differs from the capture") ||
		!strings.Contains(r.stdout, `captured: "+OK\r\n"`) || !strings.Contains(r.stdout, `got:      "-NOAU"`) {
		t.Errorf("against another server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
