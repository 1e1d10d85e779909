package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

// binary is the sockshell built once for these tests.
var binary string

// repoRoot is where scripts/ is; commands run there.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	built, cleanup, err := testenv.Build(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = built
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// command makes a sockshell command run from the repository's root.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = repoRoot
	// Without colour unless a test asks for it: the screen is then the
	// text the tests look for.
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+os.TempDir()+"/sockshell-test-state", "NO_COLOR=1")
	return cmd
}

// result is how a finished command ended.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs a command to its end, with a deadline.
func runCmd(t *testing.T, cmd *exec.Cmd, stdin string) result {
	t.Helper()
	return runCmdFrom(t, cmd, strings.NewReader(stdin))
}

// runCmdFrom is runCmd with standard input read from stdin.
func runCmdFrom(t *testing.T, cmd *exec.Cmd, stdin io.Reader) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdin = stdin
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	cmd.Wait()
	return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

func sockshell(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCmd(t, command(args...), stdin)
}

// readyHook is a -e chunk that makes listen report on stderr, as
// "ready PORT", that the socket is bound: the tests' readiness signal.
const readyHook = `local listen0 = listen
listen = function(...)
  local s, err = listen0(...)
  if s then io.stderr:write("ready ", select(2, s:getsockname()), "\n") end
  return s, err
end`

// started is a running sockshell process.
type started struct {
	cmd    *exec.Cmd
	stdout *bytes.Buffer
	stderr bytes.Buffer // after the ready line; read it once done is closed
	done   chan struct{}
}

// startReady starts sockshell with readyHook and waits for its port.
func startReady(t *testing.T, args ...string) (*started, int) {
	t.Helper()
	return startReadyCmd(t, command(append([]string{"-e", readyHook}, args...)...))
}

// startReadyCmd starts cmd, a sockshell run with readyHook, and waits for
// its port.
func startReadyCmd(t *testing.T, cmd *exec.Cmd) (*started, int) {
	t.Helper()
	p := &started{cmd: cmd, stdout: new(bytes.Buffer), done: make(chan struct{})}
	cmd.Stdout = p.stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	errLines := bufio.NewReader(errPipe)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	lines := make(chan string, 1)
	go func() {
		defer close(p.done)
		line, _ := errLines.ReadString('\n')
		lines <- line
		io.Copy(&p.stderr, errLines)
		cmd.Wait()
	}()
	select {
	case line := <-lines:
		var port int
		if _, err := fmt.Sscanf(line, "ready %d", &port); err != nil {
			t.Fatalf("expected a ready line, got %q", line)
		}
		return p, port
	case <-time.After(30 * time.Second):
		t.Fatal("sockshell did not bind")
	}
	return nil, 0
}

// wait waits for the process to end and returns its status.
func (p *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("process did not end; output so far %q", p.stdout.String())
	}
	return -1
}

// goSocket is a UDP socket of the test's own, on loopback.
func goSocket(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sendFrom(t *testing.T, c *net.UDPConn, msg string, port int) {
	t.Helper()
	if _, err := c.WriteToUDP([]byte(msg), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
		t.Fatal(err)
	}
}

var receivedLine = regexp.MustCompile(`^received message:(.*) from PORT(\d+) on 127\.0\.0\.1$`)

// The chapter's experiment: a receiver, a sender that sends hello then BYE,
// and a sender that finds nobody listening and does not mind.
func TestChapterReceiverAndSender(t *testing.T) {
	rx, port := startReady(t, "scripts/receiver.lua", "0")
	p := strconv.Itoa(port)
	if r := sockshell(t, "", "scripts/sender.lua", "hello", "127.0.0.1", p); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("sender: %+v", r)
	}
	// A datagram from a port the test knows shows that PORT is the real
	// source port.
	g := goSocket(t)
	sendFrom(t, g, "from go", port)
	if r := sockshell(t, "", "scripts/sender.lua", "BYE", "127.0.0.1", p); r.code != 0 {
		t.Fatalf("sender: %+v", r)
	}
	if code := rx.wait(t); code != 0 {
		t.Errorf("receiver exited %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(rx.stdout.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("receiver printed %q", rx.stdout.String())
	}
	m1, m3 := receivedLine.FindStringSubmatch(lines[0]), receivedLine.FindStringSubmatch(lines[2])
	if m1 == nil || m1[1] != "hello" || m3 == nil || m3[1] != "BYE" {
		t.Errorf("receiver printed %q", lines)
	}
	if m1 != nil && m3 != nil && (m1[2] == p || m1[2] == m3[2]) {
		t.Errorf("two senders reported the same port or the receiver's: %q", lines)
	}
	want := fmt.Sprintf("received message:from go from PORT%d on 127.0.0.1", g.LocalAddr().(*net.UDPAddr).Port)
	if lines[1] != want {
		t.Errorf("got %q, want %q", lines[1], want)
	}
	// Nobody listens now; UDP does not care.
	if r := sockshell(t, "", "scripts/sender.lua", "anyone?", "127.0.0.1", p); r.code != 0 || r.stderr != "" {
		t.Errorf("sender with no receiver: %+v", r)
	}
}

// needPort5000 skips a test of the chapter's own port when another program
// holds it (fails it in CI, where nothing should).
func needPort5000(t *testing.T) {
	t.Helper()
	c, err := net.ListenPacket("udp4", ":5000")
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("port 5000 is taken by another program: %v", err))
	}
	c.Close()
}

// Without an argument the receiver binds port 5000, as in the chapter.
func TestReceiverDefaultPort(t *testing.T) {
	needPort5000(t)
	rx, port := startReady(t, "scripts/receiver.lua")
	if port != 5000 {
		t.Fatalf("bound %d", port)
	}
	g := goSocket(t)
	sendFrom(t, g, "Bye", 5000)
	if code := rx.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	want := fmt.Sprintf("received message:Bye from PORT%d on 127.0.0.1\n", g.LocalAddr().(*net.UDPAddr).Port)
	if rx.stdout.String() != want {
		t.Errorf("got %q, want %q", rx.stdout.String(), want)
	}
}

func TestReceiverPortInUse(t *testing.T) {
	g := goSocket(t)
	port := strconv.Itoa(g.LocalAddr().(*net.UDPAddr).Port)
	// The Go socket holds 127.0.0.1:port; the receiver wants 0.0.0.0:port.
	r := sockshell(t, "", "scripts/receiver.lua", port)
	want := "receiver: address already in use: udp port " + port + " (another program holds it; listen(0) picks a free port)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("got %+v, want exit 1 and %q", r, want)
	}
}

func TestSenderUsage(t *testing.T) {
	r := sockshell(t, "", "scripts/sender.lua")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "usage: sockshell scripts/sender.lua <message>") {
		t.Errorf("got %+v", r)
	}
	// The built-in script by its name says its name.
	r = sockshell(t, "", "sender")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "usage: sockshell sender <message>") {
		t.Errorf("got %+v", r)
	}
	r = sockshell(t, "", "scripts/sender.lua", "x", "no-such-host.invalid")
	if r.code != 1 || !strings.Contains(r.stderr, `cannot resolve "no-such-host.invalid"`) {
		t.Errorf("got %+v", r)
	}
}

func TestHostinfoScript(t *testing.T) {
	r := sockshell(t, "", "scripts/hostinfo.lua")
	re := regexp.MustCompile(`^(node: \d+\n[0-9a-f]{12}\nIP: \S+\nMAC: ([0-9a-f]{2}:){5}[0-9a-f]{2}\n|node: none \(.*\)\nIP: \S+\nMAC: none\n)$`)
	if r.code != 0 || !re.MatchString(r.stdout) {
		t.Errorf("got %+v", r)
	}
}

// writeScript writes a Lua file for a test and returns its path.
func writeScript(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCase is a sockshell command line and how it must end.
type runCase struct {
	name   string
	args   []string
	code   int
	stdout string
	stderr string // a regexp
}

// check runs the case as a subtest.
func (tc runCase) check(t *testing.T) {
	t.Run(tc.name, func(t *testing.T) {
		r := sockshell(t, "", tc.args...)
		if r.code != tc.code || r.stdout != tc.stdout || !regexp.MustCompile(tc.stderr).MatchString(r.stderr) {
			t.Errorf("got %+v\nwant code %d stdout %q stderr =~ %q", r, tc.code, tc.stdout, tc.stderr)
		}
	})
}

func TestScriptFailures(t *testing.T) {
	syntax := writeScript(t, "syntax.lua", "print('ok')\nlocal x = = 1\n")
	runtime := writeScript(t, "runtime.lua", "local function f()\n  error('boom')\nend\nprint('before')\nf()\n")
	exit := writeScript(t, "exit.lua", "local s = listen(0, '127.0.0.1')\nprint('bye')\nos.exit(3)\nprint('not reached')\n")
	for _, tc := range []runCase{
		{"syntax error", []string{syntax}, 1, "", `^sockshell: ` + regexp.QuoteMeta(syntax) + `:2: unexpected symbol near '='\n$`},
		{"runtime error", []string{runtime}, 1, "before\n", `^sockshell: ` + regexp.QuoteMeta(runtime) + `:2: boom\nstack traceback:\n\t\[G\]: in function 'error'\n\t` +
			regexp.QuoteMeta(runtime) + `:2: in function 'f'\n\t` + regexp.QuoteMeta(runtime) + `:5: in main chunk\n`},
		{"missing file", []string{"no/such/file.lua"}, 1, "", `^sockshell: cannot open no/such/file.lua: no such file or directory\n$`},
		{"os.exit", []string{exit}, 3, "bye\n", `^$`},
		{"unknown option", []string{"-x"}, 2, "", `^sockshell: unrecognized option '-x'\nusage: `},
		{"-e without its chunk", []string{"-e"}, 2, "", `^sockshell: '-e' needs an argument\nusage: `},
		{"--max-memory of no size", []string{"--max-memory", "lots"}, 2, "", `^sockshell: --max-memory takes a size such as 512M or 2G, got 'lots'\nusage: `},
		{"past --max-memory", []string{"--max-memory=64M", "-e", `print(pcall(string.rep, "x", 2^27)) print(#string.rep("x", 2^20))`}, 0, "false\tnot enough memory\n1048576\n", `^$`},
		{"error in -e", []string{"-e", "error('early', 0)", runtime}, 1, "", `^sockshell: early\n`},
	} {
		tc.check(t)
	}
}

// The command line works as the lua interpreter's does.
func TestCommandLine(t *testing.T) {
	show := writeScript(t, "show.lua", "print(arg[-2], arg[-1], arg[0], arg[1], arg[2], #arg, select('#', ...), ...)\n")
	// -l finds modules on the plugin path, ./plugins included.
	dir := filepath.Dir(show)
	os.Mkdir(filepath.Join(dir, "plugins"), 0o755)
	os.WriteFile(filepath.Join(dir, "plugins", "mymod.lua"), []byte("return {answer = 42}\n"), 0o644)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
		code  int
	}{
		{"arguments", []string{show, "a", "b"}, "", fmt.Sprintf("nil\t%s\t%s\ta\tb\t2\t2\ta\tb\n", binary, show), 0},
		{"options at negative indices", []string{"-e", "x=1", show, "a"}, "", fmt.Sprintf("-e\tx=1\t%s\ta\tnil\t1\t1\ta\n", show), 0},
		{"-e runs in order, before the script", []string{"-e", "x=1", "-e", "x=x+1", "-e", "print(x)"}, "", "2\n", 0},
		{"-e joined", []string{"-eprint(7)"}, "", "7\n", 0},
		{"-l", []string{"-l", "mymod", "-e", "print(mymod.answer)"}, "", "42\n", 0},
		{"--", []string{"--", show, "-x"}, "", fmt.Sprintf("%s\t--\t%s\t-x\tnil\t1\t1\t-x\n", binary, show), 0},
		{"- is stdin", []string{"-", "p"}, "print('from stdin', ...)", "from stdin\tp\n", 0},
		{"stdin when not a terminal", nil, "print(1 + 1)", "2\n", 0},
		{"-v", []string{"-v"}, "", "sockshell " + version + " (Lua 5.1 via gopher-lua)\n", 0},
		{"-i runs the shell after the script", []string{"-i", "-e", "x = 41"}, "x + 1\n", "> 42\n> ", 0},
		{"-i and os.exit", []string{"-i"}, "os.exit(5)\n", "> ", 5},
		{"shebang line", []string{writeScript(t, "sb.lua", "#!/usr/bin/env sockshell\nprint('ran')\n")}, "", "ran\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command(tc.args...)
			cmd.Dir = dir
			r := runCmd(t, cmd, tc.stdin)
			if r.stdout != tc.want || r.code != tc.code {
				t.Errorf("got %+v\nwant stdout %q code %d", r, tc.want, tc.code)
			}
		})
	}
	r := sockshell(t, "", "-h")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: sockshell [options] [script [args...]]") {
		t.Errorf("-h: %+v", r)
	}
}

// Off a terminal the shell writes no history.
func TestNoHistoryOffTerminal(t *testing.T) {
	state := t.TempDir()
	cmd := command("-i")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	r := runCmd(t, cmd, "x = 1\nprint(x)\n")
	if r.stdout != "> > 1\n> " {
		t.Fatalf("got %+v", r)
	}
	entries, _ := os.ReadDir(state)
	if len(entries) != 0 {
		t.Errorf("state dir has %v", entries)
	}
}

// SIGINT stops a script blocked in recvfrom: exit 130, sockets closed.
func TestScriptInterrupted(t *testing.T) {
	p, port := startReady(t, "-e", "s = listen(0, '127.0.0.1') s:recvfrom()")
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	if got := p.stderr.String(); got != "sockshell: interrupted\n" {
		t.Errorf("stderr %q", got)
	}
	c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Errorf("port still held: %v", err)
	} else {
		c.Close()
	}
}

// A script ends when its last task does; SIGINT stops the tasks.
func TestScriptWaitsForTasks(t *testing.T) {
	script := writeScript(t, "tasks.lua", `local s = listen(0, "127.0.0.1")
spawn(function()
  local d = s:recvfrom()
  print("task got " .. d)
end)
print("main done")
`)
	p, port := startReady(t, script)
	g := goSocket(t)
	sendFrom(t, g, "late", port)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	if got := p.stdout.String(); got != "main done\ntask got late\n" {
		t.Errorf("stdout %q", got)
	}

	p, _ = startReady(t, "-e", `local s = listen(0, "127.0.0.1") spawn(function() s:recvfrom() end)`)
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != 130 {
		t.Errorf("exit %d after SIGINT, want 130", code)
	}
	if got := p.stderr.String(); got != "sockshell: interrupted\n" {
		t.Errorf("stderr %q", got)
	}
}

// Bundled scripts run by name from any directory; a file of that name in
// the current directory comes first.
func TestBuiltinScriptByName(t *testing.T) {
	dir := t.TempDir()
	cmd := command("-e", readyHook, "receiver", "0")
	cmd.Dir = dir
	p, port := startReadyCmd(t, cmd)
	g := goSocket(t)
	sendFrom(t, g, "bye", port)
	if code := p.wait(t); code != 0 || !strings.HasPrefix(p.stdout.String(), "received message:bye from PORT") {
		t.Errorf("built-in receiver: exit %d, %q", code, p.stdout.String())
	}
	os.WriteFile(filepath.Join(dir, "receiver"), []byte(`print("the local one")`), 0o644)
	cmd = command("receiver")
	cmd.Dir = dir
	if r := runCmd(t, cmd, ""); r.stdout != "the local one\n" {
		t.Errorf("local file: %+v", r)
	}
	cmd = command("no-such-script")
	cmd.Dir = dir
	if r := runCmd(t, cmd, ""); r.code != 1 || r.stderr != "sockshell: cannot open no-such-script: no such file or directory\n" {
		t.Errorf("missing: %+v", r)
	}
	// The built-in plugins load from anywhere too.
	cmd = command("-e", `print(require("hexview").once ~= nil)`)
	cmd.Dir = dir
	if r := runCmd(t, cmd, ""); r.stdout != "true\n" {
		t.Errorf("built-in plugin: %+v", r)
	}
}

// --safe denies by default; the --allow flags grant, and imply --safe;
// --timeout stops a script that runs too long.
func TestSafeFlags(t *testing.T) {
	for _, tc := range []runCase{
		{"no programs", []string{"--safe", "-e", `os.execute("true")`}, 1, "",
			`^sockshell: \(command line\):1: os.execute is not allowed in --safe mode\n`},
		{"no shell", []string{"--safe", "-e", `print(os.execute())`}, 0, "0\n", `^$`},
		{"no network unless allowed", []string{"--safe", "-e", `listen(0, "127.0.0.1")`}, 1, "",
			`^sockshell: \(command line\):1: binding 127.0.0.1:0 is not allowed in --safe mode \(--allow-net=127.0.0.1 allows it\)\n`},
		{"the network allowed", []string{"--allow-net=127.0.0.1", "-e", `print(listen(0, "127.0.0.1") ~= nil, pcall(os.execute, "x"))`}, 0,
			"true\tfalse\tos.execute is not allowed in --safe mode\n", `^$`},
		{"a file allowed", []string{"--allow-read=scripts/receiver.lua", "-e", `print(#io.open("scripts/receiver.lua"):read("*a") > 0, (select(2, io.open("README.md"))))`}, 0,
			"true\treading README.md is not allowed in --safe mode (--allow-read=" + absRepo("README.md") + " allows it)\n", `^$`},
		{"the environment", []string{"--allow-env", "-e", `print(type(os.getenv("PATH")))`}, 0, "string\n", `^$`},
		{"a bad --allow-net", []string{"--allow-net=host:99999", "-e", `print(1)`}, 2, "", `--allow-net takes HOST, HOST:PORT, \[V6\]:PORT or :PORT: "host:99999": the port must be 1-65535\n`},
		{"--timeout", []string{"--timeout", "0.3", "-e", `while true do end`}, 124, "", `^sockshell: stopped after --timeout 300ms\n$`},
		{"--timeout of nothing", []string{"--timeout=never", "-e", `print(1)`}, 2, "", `^sockshell: --timeout takes seconds > 0, got 'never'\n`},
	} {
		tc.check(t)
	}
}

// absRepo is a path of the repository, absolute.
func absRepo(rel string) string {
	abs, _ := filepath.Abs(filepath.Join(repoRoot, rel))
	return abs
}

// A loop that opens sockets and forgets them never runs out of
// descriptors: 100000 listen(0) under a 1024-descriptor limit, without
// close.
func TestForgottenSocketsAreClosed(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to set the descriptor limit")
	}
	cmd := exec.Command(sh, "-c", `ulimit -n 1024 && exec "$0" "$@"`, binary, "-e", `
for i = 1, 100000 do
  local s, err = listen(0, "127.0.0.1")
  if not s then error("listen #" .. i .. ": " .. err) end
end
print("opened 100000")`)
	cmd.Dir = repoRoot
	r := runCmd(t, cmd, "")
	if r.code != 0 || r.stdout != "opened 100000\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// Ctrl-C stops a script waiting on standard input at once, not at the
// next line: in io.read, and in dofile() reading a script from it.
func TestInterruptStdinRead(t *testing.T) {
	for _, tc := range []struct{ chunk, input string }{
		{`local line = io.read() print("read", line)`, ""},
		{`dofile() print("ran")`, "print('part of a script')\n"}, // and no end: dofile waits
	} {
		cmd := command("-e", `io.stderr:write("ready 0\n") `+tc.chunk)
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(in, tc.input) // and the pipe stays open: the read waits
		p, _ := startReadyCmd(t, cmd)
		p.cmd.Process.Signal(syscall.SIGINT)
		if code := p.wait(t); code != 130 {
			t.Errorf("%s: exit %d, want 130", tc.chunk, code)
		}
		if p.stdout.String() != "" {
			t.Errorf("%s: stdout %q", tc.chunk, p.stdout.String())
		}
		in.Close()
	}
}

// A SIGINT at any moment after start, however early, stops the script
// with status 130. (Before the Go runtime has set up its signal handling,
// within a millisecond of exec, the signal ends the process as it ends any
// program: a shell reports that as 130 too.)
func TestEarlySIGINT(t *testing.T) {
	for delay := 0; delay <= 50; delay += 5 {
		cmd := command("-e", "sleep(math.huge)")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if delay > 0 {
			<-time.After(time.Duration(delay) * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("SIGINT after %d ms: still running", delay)
		}
		st := cmd.ProcessState
		ws, _ := st.Sys().(syscall.WaitStatus)
		if st.ExitCode() != 130 && !(ws.Signaled() && ws.Signal() == syscall.SIGINT) {
			t.Errorf("SIGINT after %d ms: %v, want status 130", delay, st)
		}
	}
}

// os.clock is the CPU time the process used, as in Lua: a sleep adds
// almost none, a busy loop of the same length much more (however busy the
// machine is with other tests).
func TestOsClockIsCPUTime(t *testing.T) {
	r := sockshell(t, "", "-e", `
local c, n = os.clock(), now()
sleep(0.2)
local slept = os.clock() - c
c, n = os.clock(), now()
while now() - n < 0.2 do end
local busy = os.clock() - c
print(slept < 0.05, busy > 4 * slept and busy > 0.02)`)
	if r.code != 0 || r.stdout != "true\ttrue\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// broadcast.lua limited to the loopback interface reaches a receiver on
// this host through 127.255.255.255.
func TestBroadcastOnLoopback(t *testing.T) {
	rx, port := startReady(t, "scripts/receiver.lua", "0")
	r := runCmd(t, command("scripts/broadcast.lua", "lo", "bye", strconv.Itoa(port)), "")
	if r.code != 0 || !strings.Contains(r.stdout, "-> 127.255.255.255:"+strconv.Itoa(port)+"  sent") {
		t.Fatalf("broadcast.lua lo: %+v", r)
	}
	if strings.Count(r.stdout, " sent") != 1 {
		t.Errorf("sent on more than lo: %q", r.stdout)
	}
	if code := rx.wait(t); code != 0 || !strings.Contains(rx.stdout.String(), "received message:bye from PORT") {
		t.Errorf("receiver: exit %d, %q", code, rx.stdout.String())
	}
}

// Off a terminal standard output is buffered, yet a line shows within a
// moment while the script goes on, and what went to standard output comes
// before an error that follows it.
func TestBufferedOutputShowsSoon(t *testing.T) {
	cmd := command("-e", `print("first") sleep(math.huge)`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
	}()
	if line := receiveLine(t, lines); line != "first\n" {
		t.Errorf("first line %q", line)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()

	both := command("-e", `print("to stdout") io.write("more ") io.stdout:flush() error("boom", 0)`)
	var merged bytes.Buffer
	both.Stdout, both.Stderr = &merged, &merged
	both.Run()
	if got := merged.String(); got != "to stdout\nmore sockshell: boom\nstack traceback:\n\t[G]: in function 'error'\n\t(command line):1: in main chunk\n\t[G]: ?\n" {
		t.Errorf("merged output %q", got)
	}
	// Nothing buffered is lost to os.exit.
	if r := sockshell(t, "", "-e", `for i = 1, 3 do print(i) end os.exit(3)`); r.code != 3 || r.stdout != "1\n2\n3\n" {
		t.Errorf("os.exit: %+v", r)
	}
}

// receiveLine waits for a line, failing after a while.
func receiveLine(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case line := <-ch:
		return line
	case <-time.After(10 * time.Second):
		t.Fatal("no line within 10 s")
	}
	return ""
}

func TestProcs(t *testing.T) {
	for _, c := range []struct {
		current int
		env     string
		want    int
	}{
		{1, "", 2},  // pinned to one CPU: a second P keeps the system monitor asleep
		{2, "", 2},  // enough already
		{8, "", 8},  // never fewer than the runtime chose
		{1, "1", 1}, // the user's GOMAXPROCS is kept
	} {
		if got := procs(c.current, c.env); got != c.want {
			t.Errorf("procs(%d, %q) = %d, want %d", c.current, c.env, got, c.want)
		}
	}
}

// Every long option the command line takes is in --help: the options are
// the "--name" words of the parser's source.
func TestHelpNamesEveryLongOption(t *testing.T) {
	src, err := os.ReadFile("run.go")
	if err != nil {
		t.Fatal(err)
	}
	options := regexp.MustCompile(`"(--[a-z][a-z-]*)`).FindAllStringSubmatch(string(src), -1)
	if len(options) < 8 {
		t.Fatalf("found %d long options in run.go: not the parser?", len(options))
	}
	help := sockshell(t, "", "--help").stdout
	for _, o := range options {
		if !regexp.MustCompile(regexp.QuoteMeta(o[1]) + `\b`).MatchString(help) {
			t.Errorf("--help does not name %s", o[1])
		}
	}
}

// A program os.execute runs prints after what the script printed before
// it, though standard output is buffered off a terminal; and its status
// is C's system's, as in Lua 5.1.
func TestExecuteKeepsOutputInOrder(t *testing.T) {
	r := sockshell(t, "", "-e", `print("before") io.write("same line, ") print(os.execute("echo from the program; exit 3")) print("after")`)
	if want := "before\nsame line, from the program\n768\nafter\n"; r.code != 0 || r.stdout != want {
		t.Errorf("got %+v, want stdout %q", r, want)
	}
	// io.popen's program, as C's: it writes where the script does, and
	// close ends its input, waits for it, and says true.
	r = sockshell(t, "", "-e", `print("first") local p = io.popen("cat; echo to stderr >&2; exit 3", "w") p:write("second\n") print(p:close()) print(io.popen("echo read"):read("*l"))`)
	if want := "first\nsecond\ntrue\nread\n"; r.code != 0 || r.stdout != want || r.stderr != "to stderr\n" {
		t.Errorf("io.popen: got %+v, want stdout %q", r, want)
	}
}
