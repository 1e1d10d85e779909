package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

// LuaSocket programs run unchanged in sockshell, proven on LuaSocket's own
// test client, server and samples (testdata/luasocket, from LuaSocket's
// repository) with the real lua5.1 and Debian's lua-socket as the peer.

// luasocketDir is where LuaSocket's tests and samples are.
var luasocketDir, _ = filepath.Abs("testdata/luasocket")

// needLua5 returns lua5.1's path, and checks that LuaSocket is installed
// for it.
func needLua5(t *testing.T) string {
	t.Helper()
	lua := testenv.Need(t, "lua5.1", "lua5.1")
	if out, err := exec.Command(lua, "-e", `require "socket"`).CombinedOutput(); err != nil {
		testenv.Missing(t, "LuaSocket is missing for lua5.1 ("+strings.TrimSpace(string(out))+"): apt-get install -y lua-socket")
	}
	return lua
}

// luaCmd runs a script under lua5.1 in dir with stdout line-buffered (so
// that its lines are readiness signals); pre is Lua run first.
func luaCmd(t *testing.T, dir, pre, script string, args ...string) *exec.Cmd {
	cmd := exec.Command(needLua5(t), append([]string{"-e", `io.stdout:setvbuf("line") ` + pre, script}, args...)...)
	cmd.Dir = dir
	return cmd
}

// ssCmd runs a script under sockshell in dir.
func ssCmd(dir, pre, script string, args ...string) *exec.Cmd {
	cmd := command(append([]string{"-e", pre, script}, args...)...)
	cmd.Dir = dir
	return cmd
}

// proc is a program running in the background whose output lines the test
// reads as they come.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	all   bytes.Buffer // every line, once done is closed
	done  chan struct{}
}

// startProc starts cmd with stdin and reads its stdout and stderr lines.
func startProc(t *testing.T, cmd *exec.Cmd, stdin io.Reader) *proc {
	t.Helper()
	p := &proc{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr, cmd.Stdin = w, w, stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		w.Close()
	}()
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.all.WriteString(sc.Text() + "\n")
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// await reads lines until one matches re, and returns its submatches.
func (p *proc) await(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				<-p.done
				t.Fatalf("ended before printing %q; output:\n%s", re, p.all.String())
			}
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line %q within 30 s", re)
		}
	}
}

// finish waits for the program's end and returns all it printed.
func (p *proc) finish(t *testing.T, limit time.Duration) string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("did not end within %v; output:\n%s", limit, p.all.String())
	}
	return p.all.String()
}

// freePort is a TCP and UDP port free on loopback when it is asked for.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// LuaSocket's own test client, run by sockshell (with LUASOCKET_DEBUG=1,
// as it needs LuaSocket's debug build), passes every test against its test
// server run by lua5.1.
func TestLuaSocketTestClientInSockshell(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(luasocketDir, "test")
	port := freePort(t)
	srv := startProc(t, luaCmd(t, dir, fmt.Sprintf("port = %q", strconv.Itoa(port)), "testsrvr.lua"), nil)
	srv.await(t, "^server: waiting for client connection")
	cli := ssCmd(dir, fmt.Sprintf("port = %q", strconv.Itoa(port)), "testclnt.lua")
	cli.Env = append(cli.Env, "LUASOCKET_DEBUG=1")
	out := startProc(t, cli, nil).finish(t, 3*time.Minute)
	if strings.Contains(out, "ERROR") || !strings.Contains(out, "testing: done in") || cli.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit %d; output:\n%s", cli.ProcessState.ExitCode(), out)
	}
	for _, section := range []string{"select function", "non-blocking transfer", "total timeout on receive", "blocking timeout on send"} {
		if !strings.Contains(out, "testing: "+section) {
			t.Errorf("section %q did not run", section)
		}
	}
}

// LuaSocket's test server runs in sockshell, driven by its test client in
// lua5.1. Debian's LuaSocket is not its debug build, so the client runs
// with socket._DEBUG set by hand, and passes every test up to the timeout
// sections, which need the elapsed-time result only a debug build returns.
func TestLuaSocketTestServerInSockshell(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(luasocketDir, "test")
	port := freePort(t)
	srv := startProc(t, ssCmd(dir, fmt.Sprintf("port = %q", strconv.Itoa(port)), "testsrvr.lua"), nil)
	srv.await(t, "^server: waiting for client connection")
	cli := startProc(t, luaCmd(t, dir, fmt.Sprintf(`port = %q require("socket")._DEBUG = true`, strconv.Itoa(port)), "testclnt.lua"), nil)
	out := cli.finish(t, 2*time.Minute)
	before, _, found := strings.Cut(out, "testing: total timeout on send")
	if !found || strings.Contains(before, "ERROR") || strings.Contains(before, "stack traceback") {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.Contains(before, "testing: non-blocking transfer") || strings.Count(before, "lines match") != 22 {
		t.Fatalf("sections missing; output:\n%s", out)
	}
}

// The two sides of a sample: name, lua5.1 or sockshell.
type side struct{ name, runner string }

func runSide(t *testing.T, s side, dir, script string, stdin io.Reader, args ...string) *proc {
	if s.runner == "lua5.1" {
		return startProc(t, luaCmd(t, dir, "", script, args...), stdin)
	}
	return startProc(t, ssCmd(dir, "", script, args...), stdin)
}

var pairs = []struct{ server, client string }{
	{"lua5.1", "lua5.1"}, {"sockshell", "lua5.1"}, {"lua5.1", "sockshell"}, {"sockshell", "sockshell"},
}

// ports hides port numbers that change from run to run.
var ports = regexp.MustCompile(`([:\s'])\d{4,5}\b`)

// samplesDiffer runs a server and a client sample in each pairing and
// checks that every pairing prints what lua5.1 on both sides prints.
func samplesAgree(t *testing.T, run func(t *testing.T, server, client string) string) {
	var want string
	for i, p := range pairs {
		got := ports.ReplaceAllString(run(t, p.server, p.client), "${1}PORT")
		if i == 0 {
			want = got
			continue
		}
		if got != want {
			t.Errorf("server in %s, client in %s:\n%s\nwant (both in lua5.1):\n%s", p.server, p.client, got, want)
		}
	}
}

// samples/echosrvr.lua and samples/echoclnt.lua: UDP echo.
func TestLuaSocketSampleEcho(t *testing.T) {
	dir := filepath.Join(luasocketDir, "samples")
	samplesAgree(t, func(t *testing.T, server, client string) string {
		port := strconv.Itoa(freePort(t))
		srv := runSide(t, side{"server", server}, dir, "echosrvr.lua", nil, "127.0.0.1", port)
		srv.await(t, "^Waiting packets on")
		cli := runSide(t, side{"client", client}, dir, "echoclnt.lua", strings.NewReader("hello\nhéllo 你好\n\n"), "127.0.0.1", port)
		out := cli.finish(t, 30*time.Second)
		srv.await(t, "^Echoing 'héllo 你好'")
		return out
	})
}

// samples/listener.lua and samples/talker.lua: TCP lines.
func TestLuaSocketSampleListenerTalker(t *testing.T) {
	dir := filepath.Join(luasocketDir, "samples")
	samplesAgree(t, func(t *testing.T, server, client string) string {
		port := strconv.Itoa(freePort(t))
		srv := runSide(t, side{"server", server}, dir, "listener.lua", nil, "127.0.0.1", port)
		srv.await(t, "^Waiting connection from talker")
		cli := runSide(t, side{"client", client}, dir, "talker.lua", strings.NewReader("one\ntwo words\n\n"), "127.0.0.1", port)
		return cli.finish(t, 30*time.Second) + srv.finish(t, 30*time.Second)
	})
}

// samples/daytimeclnt.lua against a daytime server of the test's own.
func TestLuaSocketSampleDaytime(t *testing.T) {
	dir := filepath.Join(luasocketDir, "samples")
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			_, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				return
			}
			srv.WriteToUDP([]byte("Mon Nov 30 12:00:00 2026\r\n"), from)
		}
	}()
	port := strconv.Itoa(srv.LocalAddr().(*net.UDPAddr).Port)
	var outs []string
	for _, runner := range []string{"lua5.1", "sockshell"} {
		outs = append(outs, runSide(t, side{"client", runner}, dir, "daytimeclnt.lua", nil, "127.0.0.1", port).finish(t, 30*time.Second))
	}
	if outs[0] != outs[1] || !strings.Contains(outs[1], "Mon Nov 30 12:00:00 2026") {
		t.Fatalf("sockshell printed %q, lua5.1 %q", outs[1], outs[0])
	}
}

// test/udpconnectsrvr.lua and test/udpconnectclnt.lua: a connected UDP
// socket takes datagrams from its peer only, and setpeername("*")
// unconnects it. They use the fixed ports 5061 and 5062. On Linux
// unconnecting also unbinds the socket, so the server's last receivefrom
// waits for ever, under lua5.1 as in sockshell: the test stops it once it
// has printed its last line.
func TestLuaSocketUDPConnect(t *testing.T) {
	dir := filepath.Join(luasocketDir, "test")
	samplesAgree(t, func(t *testing.T, server, client string) string {
		srv := runSide(t, side{"server", server}, dir, "udpconnectsrvr.lua", nil)
		port := srv.await(t, `^getsockname\s+127\.0\.0\.1\s+(\d+)`)[1]
		cli := runSide(t, side{"client", client}, dir, "udpconnectclnt.lua", nil, port)
		srv.await(t, `^this is a test from sc$`)
		srv.await(t, `^setpeername\s+1$`)
		srv.await(t, `^getsockname`)
		srv.await(t, `^getsockname`)
		out := cli.finish(t, 30*time.Second)
		srv.cmd.Process.Kill()
		return srv.finish(t, 30*time.Second) + out
	})
}

// socket.http, Debian's Lua module, runs over sockshell's socket.core
// against Python's HTTP server.
func TestLuaSocketHTTP(t *testing.T) {
	needLua5(t)
	if _, err := os.Stat("/usr/share/lua/5.1/socket/http.lua"); err != nil {
		testenv.Missing(t, "LuaSocket's Lua modules are missing: apt-get install -y lua-socket")
	}
	dir := t.TempDir()
	body := strings.Repeat("sockshell over http\n", 500)
	if err := os.WriteFile(filepath.Join(dir, "file.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	py := exec.Command(testenv.Need(t, "python3", "python3"), "-u", "-m", "http.server", "0", "--bind", "127.0.0.1")
	py.Dir = dir
	srv := startProc(t, py, nil)
	port := srv.await(t, `port (\d+)`)[1]
	r := sockshell(t, "", "-e", fmt.Sprintf(`local http = require "socket.http"
local body, code, headers = http.request("http://127.0.0.1:%s/file.txt")
io.write(code, " ", headers["content-length"], "\n", body)
local none, code404 = http.request("http://127.0.0.1:%s/missing")
print(code404)`, port, port))
	want := fmt.Sprintf("200 %d\n%s404\n", len(body), body)
	if r.code != 0 || r.stdout != want {
		t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
}

// Every LuaSocket function and method called with bad arguments raises
// what LuaSocket raises, word for word and at the same line, in lua5.1 and
// in sockshell (testdata/luasocket_args.lua).
func TestLuaSocketBadArguments(t *testing.T) {
	dir, _ := filepath.Abs("testdata")
	want := startProc(t, luaCmd(t, dir, "", "luasocket_args.lua"), nil).finish(t, 30*time.Second)
	got := startProc(t, ssCmd(dir, "", "luasocket_args.lua"), nil).finish(t, 30*time.Second)
	wantLines, gotLines := strings.Split(want, "\n"), strings.Split(got, "\n")
	if len(wantLines) < 60 {
		t.Fatalf("lua5.1 ran too few cases:\n%s", want)
	}
	for i, w := range wantLines {
		if i >= len(gotLines) || gotLines[i] != w {
			g := "(nothing)"
			if i < len(gotLines) {
				g = gotLines[i]
			}
			t.Errorf("lua5.1:    %s\nsockshell: %s", w, g)
		}
	}
}

// mime.core's Base64 and quoted-printable agree with Python's base64 and
// quopri on random inputs, both ways.
func TestMimeAgreesWithPython(t *testing.T) {
	python := testenv.Need(t, "python3", "python3")
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs []string
	for i := range 300 {
		b := make([]byte, rng.IntN(60)+i%3)
		for j := range b {
			b[j] = byte(rng.IntN(256))
			if b[j] == '\n' && i%2 == 0 {
				b[j] = ' '
			}
		}
		inputs = append(inputs, hex.EncodeToString(b))
	}
	// Python's encodings of each input: Base64, and quoted-printable of the
	// inputs without CR or LF (quoted-printable text treats them as line
	// breaks), its lines ended by CRLF as MIME's are (quopri ends them with
	// LF).
	pyEnc := exec.Command(python, "-c", `import sys, base64, quopri
for line in sys.stdin:
    b = bytes.fromhex(line.strip())
    q = quopri.encodestring(b).replace(b"\n", b"\r\n") if b"\n" not in b and b"\r" not in b else b""
    print(base64.b64encode(b).hex(), q.hex())`)
	pyEnc.Stdin = strings.NewReader(strings.Join(inputs, "\n") + "\n")
	encOut, err := pyEnc.Output()
	if err != nil {
		t.Fatal(err)
	}
	r := sockshell(t, string(encOut), "-e", `local mime = require "mime.core"
local function unhex(h) return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end)) end
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
for line in io.lines() do
  local b64, qp = line:match("^(%x*) (%x*)$")
  local plain = mime.unb64(unhex(b64)) or ""
  local ours = mime.b64(plain) or ""
  local unqp = qp ~= "" and (mime.unqp(unhex(qp)) or "") or plain
  print(hex(plain), hex(ours), hex(unqp), hex(mime.qp(plain) or ""))
end`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	encLines := strings.Split(strings.TrimSuffix(string(encOut), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%d results for %d inputs", len(lines), len(inputs))
	}
	var qps []string
	for i, line := range lines {
		f := strings.Split(line, "\t")
		pyB64, _, _ := strings.Cut(encLines[i], " ")
		if f[0] != inputs[i] {
			t.Errorf("unb64(python's b64 of %s) = %s", inputs[i], f[0])
		}
		if f[1] != pyB64 {
			t.Errorf("b64(%s) = %s, python %s", inputs[i], f[1], pyB64)
		}
		if f[2] != inputs[i] {
			t.Errorf("unqp(python's qp of %s) = %s", inputs[i], f[2])
		}
		qps = append(qps, f[3])
	}
	// Python decodes sockshell's quoted-printable: back to the input, with
	// CRLF as LF, as quopri reads lines.
	pyDec := exec.Command(python, "-c", `import sys, quopri
for line in sys.stdin:
    print(quopri.decodestring(bytes.fromhex(line.strip())).hex())`)
	pyDec.Stdin = strings.NewReader(strings.Join(qps, "\n") + "\n")
	decOut, err := pyDec.Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range strings.Split(strings.TrimSuffix(string(decOut), "\n"), "\n") {
		raw, _ := hex.DecodeString(inputs[i])
		want := hex.EncodeToString(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
		if d != want {
			t.Errorf("python decodes qp(%s) as %s, want %s", inputs[i], d, want)
		}
	}
}
