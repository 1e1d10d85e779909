package repl

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi"
)

// syncBuffer is a bytes.Buffer safe to read while the shell writes; each
// write signals changed.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// shell runs input through a shell and returns its status and transcript
// (prompts, output and errors in order).
func shell(t *testing.T, input string) (int, string) {
	t.Helper()
	out := newSyncBuffer()
	console := NewConsole(out)
	s := luaapi.New(luaapi.Options{Stdout: console, Stderr: console})
	defer s.Close()
	code := Run(s, Options{In: strings.NewReader(input), Out: console, Err: console})
	return code, out.String()
}

func TestTranscripts(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
		code              int
	}{
		{"expression", "1+1\n", "> 2\n> ", 0},
		{"several values", "1, 'a', nil\n", "> 1\ta\tnil\n> ", 0},
		{"equals form", "=2*3\n", "> 6\n> ", 0},
		{"statement prints nothing", "x = 1\nx\n", "> > 1\n> ", 0},
		{"print", "print('hi', 2)\n", "> hi\t2\n> ", 0},
		{"multi-line chunk", "function f(a)\nreturn a * 2\nend\nf(21)\n", "> >> >> > 42\n> ", 0},
		{"multi-line string", "s = [[a\nb]]\n#s\n", "> >> > 3\n> ", 0},
		{"error keeps state", "x = 5\nerror('boom')\nx\n", "> > stdin:1: boom\n> 5\n> ", 0},
		{"error in a function", "function g() local t; return t.x end\ng()\n", "> > stdin:1: attempt to index local 't' (a nil value)\n> ", 0},
		{"syntax error", "x = = 2\nx\n", "> stdin:1: unexpected symbol near '='\n> nil\n> ", 0},
		{"input ends inside a chunk", "function f()\n", "> >> stdin:2: unexpected symbol near '<eof>'\n", 0},
		{"input ends with a task running", "w = spawn(sleep, 600)\n", "> > ", 0}, // off a terminal, no question
		{"os.exit", "os.exit(4)\nprint('no')\n", "> ", 4},
		{"os.exit true", "os.exit(true)\n", "> ", 0},
		{"windows line ends", "1+2\r\n", "> 3\n> ", 0},
		{"tables show their contents", "{1, {a = 'x'}, n = 2}\n", "> {1, {a = \"x\"}, n = 2}\n> ", 0},
		{"binary strings show escaped", "'\\27[2Jpwned\\0'\n", "> \"\\27[2Jpwned\\0\"\n> ", 0},
		{"?name is help", "?sleep\n", "> sleep(seconds)\n  Waits seconds; other tasks run meanwhile. sleep(0) lets every task that is\n  ready run first.\n  seconds   how long, >= 0; fractions allowed; math.huge waits until stopped\n  Returns: nothing.\n  Errors: A negative or non-number duration raises. Ctrl-C stops the wait.\n  Example:\n    sleep(0.01)\n    print(\"later\")\n> ", 0},
		{"a typo names itself", "recvfom(1)\n", "> stdin:1: attempt to call global 'recvfom' (a nil value); did you mean 'recvfrom'?\n> ", 0},
		{"bad input goes on", "listen(70000)\nsendto('x', 'no-such-host.invalid', 9)\n1+1\n",
			"> stdin:1: bad argument #1 to 'listen' (port must be 0-65535, got 70000)\n" +
				"> nil\tcannot resolve \"no-such-host.invalid\": no such host (check the name, or give an IP address)\n> 2\n> ", 0},
		{"shell commands", "command{name = 'greet', help = 'say hello', run = function(a) print('hello ' .. (a[1] or '?')) end}\n:greet you\n:nope\n",
			"> > hello you\n> unknown command ':nope' (:help lists them)\n> ", 0},
		{"sockets keep across lines", "s = listen(0, '127.0.0.1')\nip, port = s:getsockname()\nsendto('hey', ip, port)\n(s:recvfrom())\n",
			"> > > 3\n> hey\n> ", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, got := shell(t, tc.input)
			if got != tc.want || code != tc.code {
				t.Errorf("transcript:\n%q (status %d)\nwant:\n%q (status %d)", got, code, tc.want, tc.code)
			}
		})
	}
}

func TestBanner(t *testing.T) {
	out := newSyncBuffer()
	c := NewConsole(out)
	s := luaapi.New(luaapi.Options{Stdout: c})
	defer s.Close()
	Run(s, Options{In: strings.NewReader(""), Out: c, Err: c, Banner: "hello"})
	if got := out.String(); got != "hello\n> " {
		t.Errorf("got %q", got)
	}
}

// waitFor waits, until a deadline, for the transcript to contain want: the
// shell runs in another goroutine and its output is the readiness signal.
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		select {
		case <-out.changed:
		case <-deadline:
			t.Fatalf("no %q in %q", want, out.String())
		}
	}
}

func TestInterruptReturnsToPrompt(t *testing.T) {
	out := newSyncBuffer()
	console := NewConsole(out)
	s := luaapi.New(luaapi.Options{Stdout: console, Stderr: console})
	defer s.Close()
	started := make(chan struct{}, 1)
	s.Register("started", func(*lua.LState) int { started <- struct{}{}; return 0 })
	in, feed := io.Pipe()
	done := make(chan int)
	go func() { done <- Run(s, Options{In: in, Out: console, Err: console}) }()
	io.WriteString(feed, "s = listen(0, '127.0.0.1')\nkept = 1\nstarted() s:recvfrom()\n")
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("chunk did not start")
	}
	if !s.Interrupt() {
		t.Fatal("nothing was running")
	}
	waitFor(t, out, "interrupted\n> ")
	io.WriteString(feed, "ip, port = s:getsockname()\nsendto('still', ip, port)\n(s:recvfrom(100, 5)), kept\n")
	feed.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("status %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shell did not end")
	}
	if !strings.HasSuffix(out.String(), "interrupted\n> > 5\n> still\t1\n> ") {
		t.Errorf("transcript %q", out.String())
	}
}

func TestKeyFilter(t *testing.T) {
	var ended atomic.Bool
	read := func(in string) string {
		buf := make([]byte, 64)
		n, err := keyFilter{r: strings.NewReader(in), ended: &ended}.Read(buf)
		if err != nil && !(err == io.EOF && n > 0) {
			t.Fatalf("Read(%q): %v", in, err)
		}
		return string(buf[:n])
	}
	if got, want := read("ab\x1b[3~c\x1b[3~"), "ab"+string(deleteRune)+"c"+string(deleteRune); got != want {
		t.Errorf("filtered %q, want %q", got, want)
	}
	if got := read("\x1b[D\x04"); got != "\x1b[D\x04" {
		t.Errorf("other keys changed: %q", got)
	}
	// readline takes NUL (Ctrl-Space, or the mark Ctrl-D typed in the
	// terminal's line mode leaves) for the end of input: dropped.
	if got := read("a\x00b"); got != "ab" {
		t.Errorf("NUL kept: %q", got)
	}
	if ended.Load() {
		t.Error("keys read as the input's end")
	}
	// The input's end is Ctrl-D to readline, and marked as the end.
	if got := read(""); got != "\x04" || !ended.Load() {
		t.Errorf("end of file read as %q (ended %v), want Ctrl-D", got, ended.Load())
	}
}

func TestDeleteListener(t *testing.T) {
	d := string(deleteRune)
	for _, tc := range []struct {
		line    string
		pos     int
		want    string
		wantPos int
	}{
		{d, 1, "", 0},                  // empty line: nothing happens, no exit
		{"ab" + d + "cd", 3, "abd", 2}, // deletes the character under the cursor
		{"abc" + d, 4, "abc", 3},       // at the end: nothing to delete
	} {
		line, pos, ok := deleteListener{}.OnChange([]rune(tc.line), tc.pos, deleteRune)
		if !ok || string(line) != tc.want || pos != tc.wantPos {
			t.Errorf("OnChange(%q, %d) = %q, %d, %v; want %q, %d", tc.line, tc.pos, string(line), pos, ok, tc.want, tc.wantPos)
		}
	}
	if _, _, ok := (deleteListener{}).OnChange([]rune("x"), 1, 'x'); ok {
		t.Error("listener changed an ordinary key")
	}
}

func TestHistoryFile(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/state")
	if got := HistoryFile(); got != "/state/sockshell/history" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := HistoryFile(); got != "/home/u/.local/state/sockshell/history" {
		t.Errorf("default: %s", got)
	}
}

// panickyEditor panics when asked for a line, as a bug in the line editor
// would.
type panickyEditor struct{ closed chan struct{} }

func (e *panickyEditor) Readline(string) (string, error) { panic("editor bug") }
func (e *panickyEditor) SaveHistory(string)              {}
func (e *panickyEditor) Close() error                    { close(e.closed); return nil }
func (e *panickyEditor) Cancel() bool                    { return true }

// A panic in the line editor closes the editor (which restores the
// terminal) before the shell hears of it, and the shell ends with ExitBug.
func TestEditorPanicRestoresFirst(t *testing.T) {
	s := luaapi.New(luaapi.Options{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}})
	defer s.Close()
	ed := &panickyEditor{closed: make(chan struct{})}
	in := startInput(ed, s)
	defer in.stop()
	go in.ask(Prompt, "")
	select {
	case r := <-in.lines:
		var bug *editorPanic
		if !errors.As(r.err, &bug) || !strings.Contains(bug.Error(), "internal error in the line editor: editor bug") {
			t.Fatalf("line %+v", r)
		}
		select {
		case <-ed.closed:
		default:
			t.Error("the editor was not closed before the shell heard of the panic")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no line")
	}
}

// When the terminal's input ends (it hung up), the shell leaves at once,
// tasks or not: no Ctrl-D is coming to answer a question.
func TestTerminalInputEndsWithTasks(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := newSyncBuffer()
	console := NewConsole(out)
	s := luaapi.New(luaapi.Options{Stdout: console, Stderr: console})
	defer s.Close()
	if err := s.DoString("w = spawn(sleep, 600)", "setup"); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() { done <- Run(s, Options{In: r, Out: console, Err: console, Terminal: true}) }()
	w.Close()
	select {
	case code := <-done:
		if code != 0 || strings.Contains(out.String(), "still running") {
			t.Errorf("status %d, transcript %q", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the shell did not end with its input; transcript %q", out.String())
	}
}
