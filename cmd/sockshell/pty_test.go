package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/chzyer/readline"
	"github.com/creack/pty"
	"github.com/hinshun/vt10x"

	"github.com/sockshell/sockshell/internal/testenv"
)

// term is sockshell running on a pseudo-terminal, as a person runs it.
type term struct {
	t      testing.TB
	cmd    *exec.Cmd
	pty    *os.File // the terminal's side the test types into
	tty    *os.File // the side sockshell runs on
	mu     sync.Mutex
	out    bytes.Buffer   // everything the terminal showed
	vt     vt10x.Terminal // the screen, as a terminal draws it
	seen   int            // how much of out expect has consumed
	more   chan struct{}
	done   chan struct{} // the screen has ended
	exited chan struct{} // sockshell has ended
	once   sync.Once
}

func startTerm(t testing.TB, env ...string) *term { return startTermSetup(t, nil, env...) }

// startTermSetup is startTerm with setup run on the terminal's side before
// sockshell starts, to set the terminal's modes.
func startTermSetup(t testing.TB, setup func(tty *os.File), env ...string) *term {
	t.Helper()
	cmd := command()
	cmd.Env = append(cmd.Env, env...)
	f, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(f, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(tty)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, cmd: cmd, pty: f, tty: tty, more: make(chan struct{}, 1), done: make(chan struct{}),
		vt: vt10x.New(vt10x.WithSize(120, 40))}
	go func() {
		defer close(tm.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.vt.Write(buf[:n])
			tm.mu.Unlock()
			select {
			case tm.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	// The pty reports the end of output only when no process has the
	// terminal open: the test's own copy is closed when sockshell ends.
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	tm.exited = exited
	t.Cleanup(tm.stop)
	tm.expect(`>(?:\x1b\[0m)? `)
	return tm
}

// stop ends sockshell if it still runs and closes the terminal.
func (tm *term) stop() {
	tm.once.Do(func() {
		tm.cmd.Process.Kill()
		<-tm.exited
		tm.tty.Close()
		tm.pty.Close()
		<-tm.done
	})
}

func (tm *term) send(keys string) {
	tm.t.Helper()
	if _, err := tm.pty.Write([]byte(keys)); err != nil {
		tm.t.Fatal(err)
	}
}

// expect waits until the screen shows a match of re after what earlier
// expects consumed, and returns the submatches.
func (tm *term) expect(re string) []string {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(20 * time.Second)
	for {
		tm.mu.Lock()
		rest := tm.out.String()[tm.seen:]
		loc := rx.FindStringSubmatchIndex(rest)
		if loc != nil {
			m := rx.FindStringSubmatch(rest)
			tm.seen += loc[1]
			tm.mu.Unlock()
			return m
		}
		tm.mu.Unlock()
		select {
		case <-tm.more:
		case <-tm.exited:
			// sockshell has ended, and what it wrote last may still be
			// on its way through the pty to the reader: once no more
			// comes for a moment (it is all in the kernel already), a
			// last look.
			for drained := false; !drained; {
				select {
				case <-tm.more:
				case <-time.After(200 * time.Millisecond):
					drained = true
				}
			}
			tm.mu.Lock()
			rest := tm.out.String()[tm.seen:]
			screen := tm.out.String()
			tm.mu.Unlock()
			if loc := rx.FindStringSubmatchIndex(rest); loc != nil {
				tm.seen += loc[1]
				return rx.FindStringSubmatch(rest)
			}
			tm.t.Fatalf("sockshell ended before %q; screen: %q", re, screen)
		case <-deadline:
			tm.t.Fatalf("no %q on the screen: %q", re, rest)
		}
	}
}

// screen is what the terminal shows now: its lines, trailing spaces cut,
// and the line the cursor is on.
func (tm *term) screen() (lines []string, cursor int) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for _, line := range strings.Split(tm.vt.String(), "\n") {
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines, tm.vt.Cursor().Y
}

// expectCursorLine waits until the screen's cursor line reads line, and
// returns the screen.
func (tm *term) expectCursorLine(line string) []string {
	tm.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		lines, y := tm.screen()
		if y < len(lines) && lines[y] == line {
			return lines
		}
		select {
		case <-tm.more:
		case <-tm.exited:
			tm.t.Fatalf("sockshell ended before the cursor line read %q", line)
		case <-deadline:
			tm.t.Fatalf("the cursor line reads %q, want %q; screen:\n%s", lines[min(y, len(lines)-1)], line, strings.Join(lines, "\n"))
		}
	}
}

// expectLine waits for a line of output that reads exactly text (after
// whatever readline drew to clear the prompt's line).
func (tm *term) expectLine(text string) []string {
	tm.t.Helper()
	return tm.expect(`(?:^|[\r\n\x08])` + text + `\r\n`)
}

// enter types a line and waits for the next prompt, so that no key is typed
// ahead while a chunk runs.
func (tm *term) enter(line string) {
	tm.t.Helper()
	tm.send(line + "\r")
	tm.expect(`\r\n(?:.*\r)?>>? +\x08`)
}

// quit types Ctrl-D on an empty line and waits for the shell to end, as
// it should, with status 0.
func (tm *term) quit() {
	tm.t.Helper()
	tm.send("\x04")
	if code := tm.exitCode(); code != 0 {
		tm.t.Errorf("exit %d after Ctrl-D", code)
	}
}

// quitWithTasks types Ctrl-D while tasks run: the shell names them and
// stays; a second Ctrl-D leaves, with status 0.
func (tm *term) quitWithTasks(tasks ...string) {
	tm.t.Helper()
	tm.send("\x04")
	tm.expect(`still running: ` + strings.Join(tasks, ", ") + `\r\n`)
	tm.expectCursorLine(">")
	tm.quit()
}

// waitCooked waits until the line editor has left raw mode, which no
// output tells: the terminal's modes are looked at every millisecond, for
// at most 5 seconds.
func (tm *term) waitCooked() {
	tm.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if termios(tm.t.(*testing.T), tm.tty).Lflag&syscall.ISIG != 0 {
			return
		}
	}
	tm.t.Fatal("the terminal stayed in raw mode")
}

// exitCode waits for the shell to end.
func (tm *term) exitCode() int {
	tm.t.Helper()
	select {
	case <-tm.exited:
		return tm.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		// A goroutine dump on the screen shows where it hangs.
		tm.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-tm.exited:
		case <-time.After(5 * time.Second):
		}
		tm.mu.Lock()
		defer tm.mu.Unlock()
		tm.t.Fatalf("sockshell did not exit; screen: %s", tm.out.String())
	}
	return -1
}

// BenchmarkFirstPrompt is the time from starting the shell on a
// terminal to its first prompt, as a person sees it: the process starts,
// the session opens, readline draws the prompt. One run is the start, the
// prompt and Ctrl-D; "ms/prompt" is the part up to the prompt.
func BenchmarkFirstPrompt(b *testing.B) {
	var toPrompt time.Duration
	for b.Loop() {
		start := time.Now()
		tm := startTerm(b)
		toPrompt += time.Since(start)
		tm.quit()
		tm.stop()
	}
	b.ReportMetric(float64(toPrompt.Microseconds())/1000/float64(b.N), "ms/prompt")
}

func TestTerminalSession(t *testing.T) {
	tm := startTerm(t)
	// An expression prints its value.
	tm.send("1+1\r")
	tm.expectLine(`2`)
	// A multi-line chunk continues with a second prompt.
	tm.send("function triple(x)\r")
	tm.expect(`>> `)
	tm.send("return x * 3\r")
	tm.expect(`>> `)
	tm.enter("end")
	tm.send("triple(14)\r")
	tm.expectLine(`42`)
	// An error prints and keeps the session's state.
	tm.enter("kept = 'yes'")
	tm.send("error('boom')\r")
	tm.expectLine(`stdin:1: boom`)
	tm.send("kept, triple(1)\r")
	tm.expectLine("yes\t3")
	// Ctrl-C at the prompt discards the line being typed.
	tm.send("this is not lua")
	tm.send("\x03")
	tm.send("2+3\r")
	tm.expectLine(`5`)
	// Delete on an empty line does not end the shell.
	tm.send("\x1b[3~")
	tm.send("print('still' .. 'here')\r")
	tm.expectLine(`stillhere`)
	// Delete in a line deletes the character under the cursor.
	tm.send("print('abXc')\x1b[D\x1b[D\x1b[D\x1b[D\x1b[3~\r")
	tm.expectLine(`abc`)
	// Ctrl-D on an empty line exits 0.
	tm.quit()
}

// Ctrl-C stops a chunk blocked in recvfrom, or spinning, and the session
// keeps its globals and sockets: the same socket receives afterwards.
func TestTerminalCtrlC(t *testing.T) {
	tm := startTerm(t)
	tm.send("s = listen(0, '127.0.0.1'); print('port', select(2, s:getsockname()))\r")
	port := tm.expectLine(`port\t(\d+)`)[1]
	tm.send("print('waiting'); s:recvfrom()\r")
	tm.expectLine(`waiting`)
	t0 := time.Now()
	tm.send("\x03")
	tm.expect(`interrupted\r\n`)
	if d := time.Since(t0); d > testenv.Latency(500*time.Millisecond) {
		t.Errorf("Ctrl-C took %v to stop recvfrom", d)
	}
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("after ctrl-c"))
	tm.send("print(s:recvfrom(100, 5))\r")
	tm.expectLine(`after ctrl-c\t127\.0\.0\.1\t\d+`)

	tm.send("print('spinning'); while true do end\r")
	tm.expectLine(`spinning`)
	t0 = time.Now()
	tm.send("\x03")
	tm.expect(`interrupted\r\n`)
	if d := time.Since(t0); d > testenv.Latency(500*time.Millisecond) {
		t.Errorf("Ctrl-C took %v to stop a busy loop", d)
	}
	tm.send("print(s)\r")
	tm.expectLine(`udp\{127\.0\.0\.1:` + port + `\}`)
	tm.send("os.exit(7)\r")
	if code := tm.exitCode(); code != 7 {
		t.Errorf("exit %d after os.exit(7)", code)
	}
}

// On a terminal, chunks go to the history file.
func TestTerminalHistory(t *testing.T) {
	state := t.TempDir()
	tm := startTerm(t, "XDG_STATE_HOME="+state)
	tm.enter("x = 1")
	tm.send("function f()\r")
	tm.expect(`>> `)
	tm.enter("end")
	tm.quit()
	hist, err := os.ReadFile(filepath.Join(state, "sockshell", "history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hist), "x = 1\n") || !strings.Contains(string(hist), "function f()") {
		t.Errorf("history %q", hist)
	}
}

// Ctrl-D typed while a chunk runs (the terminal is then not in raw mode)
// still ends the shell once the chunk is done, instead of leaving it deaf.
func TestTerminalCtrlDTypedAhead(t *testing.T) {
	tm := startTerm(t)
	tm.send("s = listen(0, '127.0.0.1'); print('port', select(2, s:getsockname()))\r")
	port := tm.expectLine(`port\t(\d+)`)[1]
	tm.send("print('blocked'); print(s:recvfrom())\r")
	tm.expectLine(`blocked`)
	tm.send("\x04")
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("unblock"))
	tm.expectLine(`unblock\t127\.0\.0\.1\t\d+`)
	if code := tm.exitCode(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// termios reads the terminal's settings.
func termios(t *testing.T, f *os.File) syscall.Termios {
	t.Helper()
	var tio syscall.Termios
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); errno != 0 {
		t.Fatal(errno)
	}
	return tio
}

// The shell leaves the terminal as it found it, whatever its modes: here
// echo was off (as a program that asks for a password leaves it), and
// stays off after Ctrl-D.
func TestTerminalRestoredAtExit(t *testing.T) {
	var before syscall.Termios
	tm := startTermSetup(t, func(tty *os.File) {
		tio := termios(t, tty)
		tio.Lflag &^= syscall.ECHO
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TCSETS, uintptr(unsafe.Pointer(&tio))); errno != 0 {
			t.Fatal(errno)
		}
		before = termios(t, tty)
	})
	tm.enter("x = 1")
	tm.quit()
	if after := termios(t, tm.tty); after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Cc != before.Cc {
		t.Errorf("terminal modes after exit: lflag %#x iflag %#x, before %#x %#x", after.Lflag, after.Iflag, before.Lflag, before.Iflag)
	}
}

// SIGTERM or SIGHUP at the prompt, where the terminal is raw, ends the
// shell with the terminal as it was.
func TestTerminalRestoredOnSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			tm := startTerm(t)
			if tio := termios(t, tm.tty); tio.Lflag&syscall.ICANON != 0 {
				t.Fatal("the terminal is not raw at the prompt")
			}
			tm.cmd.Process.Signal(sig)
			if code := tm.exitCode(); code != 128+int(sig) {
				t.Errorf("exit %d, want %d", code, 128+int(sig))
			}
			if tio := termios(t, tm.tty); tio.Lflag&(syscall.ICANON|syscall.ECHO) != syscall.ICANON|syscall.ECHO {
				t.Errorf("terminal left raw: lflag %#x", tio.Lflag)
			}
		})
	}
}

// The chapter's receiver runs as a background task while the prompt takes
// more input; what it prints appears above the line being typed, which
// stays intact.
func TestTerminalBackgroundReceiver(t *testing.T) {
	needPort5000(t)
	tm := startTerm(t)
	tm.send(`t = spawn(function() dofile("scripts/receiver.lua") end)` + "\r")
	tm.expect(`> `)
	tm.send(`sendto("hi", "127.0.0.1", 5000)` + "\r")
	tm.expectLine(`received message:hi from PORT\d+ on 127\.0\.0\.1`)
	// Half a line typed, then a datagram from elsewhere: its line appears
	// and the typing goes on where it was.
	tm.send("x = 4")
	tm.expect(`x = 4`)
	g, err := net.Dial("udp", "127.0.0.1:5000")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.Write([]byte("meanwhile"))
	tm.expectLine(`received message:meanwhile from PORT\d+ on 127\.0\.0\.1`)
	tm.send("2\r")
	tm.send("x, t.status\r")
	tm.expectLine("42\twaiting")
	tm.send(`sendto("bye", "127.0.0.1", 5000)` + "\r")
	tm.expectLine(`received message:bye from PORT\d+ on 127\.0\.0\.1`)
	tm.send("t.status, #tasks()\r")
	tm.expectLine("done\t0")
	// bg does the same for any script, with its own arguments.
	tm.send(`b = bg("scripts/receiver.lua", 0)` + "\r")
	tm.expect(`> `)
	tm.send("b.status\r")
	tm.expectLine("waiting")
	tm.quitWithTasks(`task#\d+ \(\S+\) waiting`)
}

// Ctrl-C at the prompt leaves waiting tasks alone, but stops one that
// hogs the session so that the shell answers again.
func TestTerminalCtrlCAndTasks(t *testing.T) {
	tm := startTerm(t)
	tm.send("w = spawn(sleep, 600)\r")
	tm.send("w.status\r")
	tm.expectLine("waiting")
	tm.send("\x03")
	tm.send("w.id, w.status\r")
	tm.expectLine("1\twaiting")
	tm.send("hog = spawn(function() print('hogging') while true do end end)\r")
	tm.expectLine("hogging")
	tm.send("\x03")
	tm.expect(`task#2 \(stdin:1\) interrupted\r\n`)
	tm.send("hog.status, w.status\r")
	tm.expectLine("cancelled\twaiting")
	tm.quitWithTasks(`task#1 \(stdin:1\) waiting`)
}

// A task that floods the terminal with output does not starve the prompt.
func TestTerminalFloodingTask(t *testing.T) {
	tm := startTerm(t)
	tm.send("flood = spawn(function() while true do print('flood') sleep(0) end end)\r")
	tm.expectLine("flood")
	tm.send("6*7\r")
	tm.expectLine("42")
	tm.send("flood:cancel()\r")
	tm.expectLine("true")
	tm.send("flood.status\r")
	tm.expectLine("cancelled")
}

// Ctrl-D on an empty continuation line drops the unfinished chunk and the
// session stays; on an empty first line it leaves.
func TestTerminalCtrlDDropsChunk(t *testing.T) {
	tm := startTerm(t)
	tm.enter("x = 7")
	tm.send("function f()\r")
	tm.expectCursorLine(">>")
	tm.send("\x04")
	tm.expectCursorLine(">")
	tm.send("x, f\r")
	tm.expectLine("7\tnil")
	tm.quit()
}

// Ctrl-D while tasks run names them and keeps the session; a second
// Ctrl-D in a row leaves, and a line in between makes the next Ctrl-D ask
// again. Ctrl-D typed ahead while a chunk runs counts as well.
func TestTerminalCtrlDWithTasks(t *testing.T) {
	tm := startTerm(t)
	// Ctrl-Space (NUL) on the empty line is no key for readline; it
	// took it for the end of input.
	tm.send("\x00")
	tm.enter("x = 7")
	tm.enter("w = spawn(sleep, 600)")
	tm.send("\x04")
	tm.expect(`still running: task#1 \(stdin:1\) waiting\r\n`)
	tm.expectCursorLine(">")
	tm.send("x, w.status\r")
	tm.expectLine("7\twaiting")
	// Typed ahead, while a chunk waits for a datagram: it warns again,
	// and the task started meanwhile is named too.
	tm.send("b = bg('receiver', 0); u = listen(0, '127.0.0.1'); print('port', select(2, u:getsockname()))\r")
	port := tm.expectLine(`port\t(\d+)`)[1]
	tm.send("print((u:recvfrom()))\r")
	tm.expect(`print\(\(u:recvfrom\(\)\)\)\r\n`)
	tm.send("\x04")
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("go on"))
	tm.expectLine("go on")
	tm.expect(`still running: task#1 \(stdin:1\) waiting, task#2 \(receiver\) waiting\r\n`)
	tm.expectCursorLine(">")
	tm.send("x + 1\r")
	tm.expectLine("8")
	tm.quitWithTasks(`task#1 \(stdin:1\) waiting, task#2 \(receiver\) waiting`)
}

// Tab completes at the prompt, from the names the session has.
func TestTerminalCompletion(t *testing.T) {
	tm := startTerm(t)
	tm.enter(`sock = listen(0, "127.0.0.1")`)
	tm.send("string.fo\t")
	tm.expectCursorLine("> string.format")
	tm.send("('%d', 7)\r")
	tm.expectLine("7")
	tm.send("sock:getsockn\t")
	tm.expectCursorLine("> sock:getsockname")
	tm.send("()\r")
	tm.expectLine(`127\.0\.0\.1\t\d+`)
	// Two Tabs list the candidates.
	tm.send("sock:se\t\t")
	tm.expect(`sendto\s+setoption\s+settimeout`)
	tm.send("ttimeout(1)\r")
	tm.expectLine(`udp\{127\.0\.0\.1:\d+, 0 in, 0 out\}`)
	tm.send(":hel\t")
	tm.expectCursorLine("> :help")
	tm.send("\r")
	tm.expect(`:sockets +the open sockets`)
	tm.quit()
}

// Home, End and Ctrl-Left/Right work with the sequences of xterm, screen,
// tmux and rxvt alike.
func TestTerminalHomeEndWordKeys(t *testing.T) {
	tm := startTerm(t)
	for i, keys := range []struct{ home, end string }{
		{"\x1b[H", "\x1b[F"}, {"\x1bOH", "\x1bOF"}, {"\x1b[1~", "\x1b[4~"}, {"\x1b[7~", "\x1b[8~"},
	} {
		// "23", Home, "1", End, "+0": 123+0.
		tm.send("23" + keys.home + "1" + keys.end + fmt.Sprintf("+%d", i))
		tm.expectCursorLine(fmt.Sprintf("> 123+%d", i))
		tm.send("\r")
		tm.expectLine(fmt.Sprint(123 + i))
	}
	for i, left := range []string{"\x1b[1;5D", "\x1b[5D", "\x1bOd", "\x1b[1;3D"} {
		// "12 34", a word left, "+": 12 +34.
		tm.send("12 " + fmt.Sprint(34+i) + left + "+")
		tm.expectCursorLine(fmt.Sprintf("> 12 +%d", 34+i))
		tm.send("\r")
		tm.expectLine(fmt.Sprint(46 + i))
	}
	tm.quit()
}

// On a terminal the prompt, errors and results are in colour, unless
// NO_COLOR is set; off a terminal there is never an escape code.
func TestTerminalColour(t *testing.T) {
	tm := startTerm(t, "NO_COLOR=")
	tm.send("42, 'text', nil, {true}\r")
	tm.expect(`\x1b\[36m42\x1b\[0m\t\x1b\[32mtext\x1b\[0m\t\x1b\[35mnil\x1b\[0m\t\{\x1b\[35mtrue\x1b\[0m\}\r\n`)
	tm.send("error('boom')\r")
	tm.expect(`\x1b\[31mstdin:1: boom\x1b\[0m\r\n`)
	tm.quit()
	r := sockshell(t, "42\nerror('boom')\n", "-i")
	if strings.Contains(r.stdout+r.stderr, "\x1b") {
		t.Errorf("escape codes off a terminal: %q %q", r.stdout, r.stderr)
	}
}

// A task that prints 1000 lines while the user types never breaks the
// line being typed: the screen shows it whole on the prompt's line, and
// it runs as typed.
func TestTerminalTypingThroughOutput(t *testing.T) {
	tm := startTerm(t)
	tm.enter("chatty = spawn(function() for i = 1, 1000 do print('line ' .. i) sleep(0.0005) end end)")
	typed := "typed = 'every key of this line'"
	for _, c := range typed {
		tm.send(string(c))
	}
	lines := tm.expectCursorLine("> " + typed)
	tm.send("\r")
	tm.send("chatty:wait()\r")
	tm.send("typed\r")
	tm.expectLine("every key of this line")
	if !strings.Contains(strings.Join(lines, "\n"), "line ") {
		t.Errorf("the task's lines are not on the screen:\n%s", strings.Join(lines, "\n"))
	}
	// Each of the task's lines stands alone: none landed on the prompt's
	// line, and the prompt was drawn again below each.
	whole := regexp.MustCompile(`^line \d+$`)
	for _, line := range lines {
		if strings.Contains(line, "line ") && !whole.MatchString(line) && !strings.Contains(line, "print('line '") {
			t.Errorf("a task's line shares the screen line %q:\n%s", line, strings.Join(lines, "\n"))
		}
	}
	tm.quit()
}

// A panic in the command (a bug) puts the terminal back as it was, says
// so and exits with status 70.
func TestGuardRestoresTerminalOnPanic(t *testing.T) {
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer tty.Close()
	fd := int(tty.Fd())
	state, err := readline.GetState(fd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readline.MakeRaw(fd); err != nil { // as at the prompt
		t.Fatal(err)
	}
	if tio := termios(t, tty); tio.Lflag&syscall.ICANON != 0 {
		t.Fatal("the terminal did not go raw")
	}
	var out bytes.Buffer
	code := guard(func() int { panic("a bug") }, func() { readline.Restore(fd, state) }, &out)
	if code != exitBug || !strings.HasPrefix(out.String(), "sockshell: internal error: a bug (a bug in sockshell") {
		t.Errorf("code %d, output %q", code, out.String())
	}
	if tio := termios(t, tty); tio.Lflag&(syscall.ICANON|syscall.ECHO) != syscall.ICANON|syscall.ECHO {
		t.Errorf("terminal left raw: lflag %#x", tio.Lflag)
	}
}

// At a terminal: an experiment, :history to see it, :save to keep it; the
// saved script, run by the binary, prints what the prompt showed.
func TestTerminalSaveAndRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "exp.lua")
	tm := startTerm(t, "XDG_STATE_HOME="+dir)
	tm.enter(`s = listen(0, "127.0.0.1")`)
	tm.enter(`port = select(2, s:getsockname())`)
	tm.send(`s:sendto("ping", "127.0.0.1", port)` + "\r")
	tm.expectLine(`4`)
	tm.send(`(s:recvfrom(64, 5))` + "\r")
	tm.expectLine(`ping`)
	tm.send("nosuch()\r")
	tm.expectLine(`stdin:1: attempt to call global 'nosuch' \(a nil value\)`)
	tm.send(":history\r")
	tm.expectLine(`   5!  nosuch\(\)`)
	tm.send(":save " + file + "\r")
	tm.expectLine(`saved 4 chunks \(1-4\) to ` + regexp.QuoteMeta(file) + `; run it with: sockshell ` + regexp.QuoteMeta(file))
	tm.quit()
	out, err := command(file).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if string(out) != "4\nping\n" {
		t.Errorf("the saved script printed %q, want the prompt's 4 and ping", out)
	}
}

// screenHas waits until the screen (as the VT100 emulator draws it) has
// every one of lines, in order, one after the other.
func (tm *term) screenHas(lines ...string) {
	tm.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		screen, _ := tm.screen()
		for i := 0; i+len(lines) <= len(screen); i++ {
			if slices.Equal(screen[i:i+len(lines)], lines) {
				return
			}
		}
		select {
		case <-tm.more:
		case <-tm.exited:
			tm.t.Fatalf("sockshell ended before the screen showed %q", lines)
		case <-deadline:
			tm.t.Fatalf("the screen does not show\n%s\nit shows:\n%s", strings.Join(lines, "\n"), strings.Join(screen, "\n"))
		}
	}
}

// The prompt's words, read off the screen: sockets() and tasks() in
// columns under a header; several results, one of them on many lines,
// each on lines of their own; an error object shown as a value; help for
// a name it does not know offers the nearest; :help gives the usage of a
// plugin's command before the plugin is loaded; the tour says when it is
// over.
func TestTerminalWords(t *testing.T) {
	tm := startTerm(t)
	tm.enter(`u = listen(0, "127.0.0.1")`)
	tm.enter(`s = require("socket").bind("127.0.0.1", 0)`)
	tm.send("sockets()\r")
	tm.expect(`KIND +LOCAL +PEER +AGE +IN +OUT`)
	tm.expectLine(`udp +127\.0\.0\.1:\d+ +- +\d+s +0/0B +0/0B`)
	tm.expectLine(`tcp\{server\} +127\.0\.0\.1:\d+ +- +\d+s +0/0B +0/0B`)
	tm.enter(`t = spawn(sleep, 60)`)
	tm.send("tasks()\r")
	tm.expectLine(`TASK +STATUS +FROM`)
	tm.expectLine(`task#1 +waiting +stdin:1`)
	tm.send("{a = 1, b = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30}}, {c = 3}\r")
	tm.screenHas("  },", "}", "{c = 3}")
	tm.send("error({code = 1})\r")
	tm.expectLine(`error: \{code = 1\}`)
	tm.send("?recvfom\r")
	tm.expectLine(`no help for 'recvfom'; did you mean 'recvfrom'\? help\(\) lists everything there is`)
	tm.send(":help\r")
	tm.expectLine(`:dig +dig NAME \[TYPE\] \[@SERVER\]: ask a DNS server, as dig does \(loads the dns plugin\)`)
	tm.send("tour(12) tour()\r")
	tm.expectLine(`The tour is finished\. tour\(1\) starts it again; help\(\) lists everything there is\.`)
}

// help() is longer than the terminal: it shows a screenful, whose first
// line stays on the screen, and a --More-- line; Enter on the empty prompt
// shows the rest; anything else typed goes on and drops it.
func TestTerminalPagesHelp(t *testing.T) {
	tm := startTerm(t)
	tm.send("help()\r")
	tm.expectLine(`--More-- \(\d+ more lines: Enter shows them, anything else goes on\)`)
	screen, _ := tm.screen()
	if !slices.Contains(screen, `Sockets (help "sockets"):`) {
		t.Errorf("help's first line scrolled off:\n%s", strings.Join(screen, "\n"))
	}
	for page := 0; ; page++ {
		tm.send("\r")
		if m := tm.expect(`(--More-- \(\d+ more|:help lists the shell's)`); !strings.HasPrefix(m[1], "--More--") {
			break
		}
		if page == 5 {
			t.Fatal("help() pages on and on")
		}
	}
	tm.send("help()\r")
	tm.expectLine(`--More-- .*`)
	tm.send("1+1\r")
	tm.expectLine(`2`)
	tm.send("\r")
	tm.expect(`> +\x08`)
	screen, _ = tm.screen()
	if strings.Contains(strings.Join(screen, "\n"), "socket's methods") {
		t.Errorf("the rest of help came after a line was typed:\n%s", strings.Join(screen, "\n"))
	}
	tm.quit()
}

// Keys typed while a chunk waits show once, at the next prompt, ready to
// be finished: not echoed by the terminal and then again. A line typed
// while a task keeps the session busy is kept when Ctrl-C stops the task:
// it runs then.
func TestTerminalTypeAhead(t *testing.T) {
	tm := startTerm(t)
	tm.send(`s = listen(0, "127.0.0.1") print("port", select(2, s:getsockname()))` + "\r")
	port := tm.expectLine(`port\t(\d+)`)[1]
	tm.send("print('waiting') print('got ' .. s:recvfrom(100, 10))\r")
	tm.expectLine(`waiting`)
	tm.send("1+")
	c, err := net.Dial("udp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("go on"))
	lines := tm.expectCursorLine("> 1+")
	if !slices.Contains(lines, "got go on") {
		t.Errorf("the chunk's line is not whole:\n%s", strings.Join(lines, "\n"))
	}
	if n := strings.Count(strings.Join(lines, "\n"), "1+"); n != 1 {
		t.Errorf("what was typed ahead shows %d times:\n%s", n, strings.Join(lines, "\n"))
	}
	tm.send("1\r")
	tm.expectLine(`2`)

	tm.send("hog = spawn(function() print('hogging') while true do end end)\r")
	tm.expectLine(`hogging`)
	tm.expect(`> `) // the prompt, drawn again below the task's line
	tm.send("2+3\r")
	tm.waitCooked() // the line is taken: Ctrl-C now is a signal, not a key
	tm.send("\x03")
	tm.expectLine(`task#1 \(stdin:1\) interrupted`)
	tm.expectLine(`5`)
	tm.send("hog.status\r")
	tm.expectLine(`cancelled`)
	tm.quit()
}

// A program os.execute runs at the prompt gets the terminal as programs
// expect it: what is typed to it shows, Backspace edits it; and the shell
// takes the terminal back afterwards.
func TestTerminalExecute(t *testing.T) {
	tm := startTerm(t)
	tm.send(`os.execute("read -p 'name? ' n; echo got $n")` + "\r")
	tm.expect(`\nname\? `) // the program's prompt, not the line typed
	tm.send("bop\x7fb")
	tm.expectCursorLine("name? bob")
	tm.send("\r")
	tm.expectLine("got bob")
	tm.expectLine("0")
	tm.enter("x = 6")
	tm.send("x * 7\r")
	tm.expectLine("42")
	tm.quit()
}
