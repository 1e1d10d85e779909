package repl

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chzyer/readline"
)

// editor reads lines. Readline returns readline.ErrInterrupt for Ctrl-C and
// io.EOF at the end of input. Cancel, which any goroutine may call, makes a
// Readline under way return; it reports false when it cannot.
type editor interface {
	Readline(prompt string) (string, error)
	SaveHistory(chunk string)
	Close() error
	Cancel() bool
}

func newEditor(opts Options, comp *completer) (editor, error) {
	if !opts.Terminal {
		return &plainEditor{in: bufio.NewReader(opts.In), out: opts.Out}, nil
	}
	return newTermEditor(opts, comp)
}

// plainEditor reads lines from a pipe or file: prompts are written, as the
// lua interpreter does, and nothing goes into a history file.
type plainEditor struct {
	in  *bufio.Reader
	out io.Writer
}

// Readline writes the prompt and reads a line without its line end.
func (e *plainEditor) Readline(prompt string) (string, error) {
	io.WriteString(e.out, prompt)
	line, err := e.in.ReadString('\n')
	if err != nil && line == "" {
		return "", io.EOF
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

// SaveHistory keeps nothing: off a terminal there is no history.
func (e *plainEditor) SaveHistory(string) {}

// Close has nothing to release.
func (e *plainEditor) Close() error { return nil }

// Cancel cannot wake a blocked read of a pipe or file.
func (e *plainEditor) Cancel() bool { return false }

// termEditor edits lines on a terminal with readline.
type termEditor struct {
	rl               *readline.Instance
	stdin            *readline.CancelableStdin
	out, err         *Console
	prevOut, prevErr io.Writer
	reading          atomic.Bool // inside Readline
	ended            atomic.Bool // the terminal's input has ended
	closed           atomic.Bool // Close has given the terminal back
	fd               int         // the terminal's, for typeAhead; -1 when unknown
}

// deleteRune stands for the Delete key between the input filter and the
// listener: readline v1.5.1 decodes Delete (ESC [ 3 ~) to the same key as
// Ctrl-D, which ends the shell on an empty line. The filter turns the
// sequence into this private-use rune; the listener deletes the character
// under the cursor instead. Delete on an empty line then does nothing.
const deleteRune = '\uF8FF'

var deleteSeq = []byte("\x1b[3~")

// keyFilter mends terminal input before readline sees it. It rewrites the
// Delete key's escape sequence (see deleteRune), and the sequences of
// Home, End and Ctrl-Left/Right that terminals other than xterm send
// (keySeqs). It drops NUL bytes (Ctrl-@, Ctrl-Space): readline v1.5.1 takes
// a NUL for the end of input, on an empty line, and its reader then stops
// for good. And a read of nothing means the terminal's input has ended
// (hung up): that becomes Ctrl-D, so that the shell leaves, and ended
// tells it was no key.
type keyFilter struct {
	r     io.Reader
	ended *atomic.Bool
}

// keySeqs maps what screen, tmux, rxvt and the Linux console send for Home,
// End and Ctrl- or Alt-Left/Right to what readline knows: ESC [ H and
// ESC [ F for Home and End, ESC b and ESC f to move by a word. Each is no
// longer than what it replaces.
var keySeqs = strings.NewReplacer(
	"\x1b[1~", "\x1b[H", "\x1b[7~", "\x1b[H", // Home
	"\x1b[4~", "\x1b[F", "\x1b[8~", "\x1b[F", // End
	"\x1b[1;5D", "\x1bb", "\x1b[1;3D", "\x1bb", "\x1b[5D", "\x1bb", "\x1bOd", "\x1bb", // a word left
	"\x1b[1;5C", "\x1bf", "\x1b[1;3C", "\x1bf", "\x1b[5C", "\x1bf", "\x1bOc", "\x1bf", // a word right
)

// Read reads from the terminal and mends what it read.
func (f keyFilter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		if n == 0 && err == io.EOF && len(p) > 0 {
			f.ended.Store(true)
			p[0] = 4 // Ctrl-D
			return 1, nil
		}
		if n > 0 && bytes.IndexByte(p[:n], 0) >= 0 {
			n = copy(p, bytes.ReplaceAll(p[:n], []byte{0}, nil))
			if n == 0 && err == nil {
				continue // nothing but NULs: read on
			}
		}
		// The 3-byte rune is shorter than the 4-byte sequence it replaces.
		if n > 0 && bytes.Contains(p[:n], deleteSeq) {
			out := bytes.ReplaceAll(p[:n], deleteSeq, []byte(string(deleteRune)))
			n = copy(p, out) // never longer than the input
		}
		if n > 0 && bytes.IndexByte(p[:n], 0x1b) >= 0 {
			n = copy(p, keySeqs.Replace(string(p[:n]))) // never longer either
		}
		return n, err
	}
}

// deleteListener completes what keyFilter started.
type deleteListener struct{}

// OnChange deletes the character under the cursor when key is deleteRune.
func (deleteListener) OnChange(line []rune, pos int, key rune) ([]rune, int, bool) {
	if key != deleteRune || pos < 1 || pos > len(line) || line[pos-1] != deleteRune {
		return nil, 0, false
	}
	out := append([]rune{}, line[:pos-1]...)
	rest := line[pos:]
	if len(rest) > 0 {
		rest = rest[1:] // the character under the cursor
	}
	return append(out, rest...), pos - 1, true
}

func newTermEditor(opts Options, comp *completer) (editor, error) {
	e := &termEditor{out: opts.Out, err: opts.Err, fd: -1}
	e.stdin = readline.NewCancelableStdin(keyFilter{r: opts.In, ended: &e.ended})
	cfg := &readline.Config{
		Prompt:                 Prompt,
		HistoryFile:            opts.HistoryFile,
		DisableAutoSaveHistory: true, // whole chunks are saved, not their lines
		HistorySearchFold:      true,
		InterruptPrompt:        "^C",
		Stdin:                  e.stdin,
		Stdout:                 opts.Out.target(),
		Stderr:                 opts.Err.target(),
		Listener:               deleteListener{},
		AutoComplete:           comp,
	}
	if opts.HistoryFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.HistoryFile), 0o700); err != nil {
			cfg.HistoryFile = "" // no history rather than no shell
		}
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, err
	}
	e.rl = rl
	if f, ok := opts.In.(*os.File); ok {
		e.fd = int(f.Fd())
		typeAhead(e.fd, true) // keys typed before the first prompt, too
	}
	// Output written while the prompt is shown goes through readline, which
	// redraws the line being typed below it.
	e.prevOut = opts.Out.swap(&editorWriter{e: e, prompt: rl.Stdout(), raw: opts.Out.target()})
	e.prevErr = opts.Err.swap(&editorWriter{e: e, prompt: rl.Stderr(), raw: opts.Err.target()})
	return e, nil
}

// editorWriter is the terminal as output sees it while the shell runs:
// while a prompt is up, readline's writer, which redraws the line being
// typed below what is written; otherwise the terminal itself. readline's
// own writer decides by whether it reads keys, which it still does for a
// moment after a line is entered, when the line's code may already print:
// a prompt was then drawn again below the code's output.
type editorWriter struct {
	e           *termEditor
	prompt, raw io.Writer
}

func (w *editorWriter) Write(p []byte) (int, error) {
	if !w.e.reading.Load() {
		return w.raw.Write(p)
	}
	w.e.settle()
	return w.prompt.Write(p)
}

// Flush writes out what the terminal buffers, if it buffers.
func (w *editorWriter) Flush() error {
	if f, ok := w.raw.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// Readline edits a line on the terminal.
func (e *termEditor) Readline(prompt string) (string, error) {
	e.rl.SetPrompt(prompt)
	e.reading.Store(true)
	defer e.reading.Store(false)
	line, err := e.rl.Readline()
	if e.fd >= 0 {
		// Until the next prompt, keys typed wait for it, unechoed.
		typeAhead(e.fd, true)
	}
	if err == io.EOF && e.ended.Load() {
		err = errInputEnded
	}
	return line, err
}

// errInputEnded is Readline's error when the terminal's input has ended,
// rather than Ctrl-D pressed: the shell leaves without asking.
var errInputEnded = fmt.Errorf("the terminal's input ended: %w", io.EOF)

// settle waits, before output is written, while readline is drawing a new
// prompt but does not yet read keys: its writer redraws the line around
// output only while it reads (IsReading), and writes straight through
// otherwise, so output that came in that moment landed on the prompt's
// line and no prompt followed it. readline gives no signal for the end of
// that moment; it lasts microseconds, and the wait is bounded (10 ms), so
// that output is never held for long, whatever readline does.
func (e *termEditor) settle() {
	for i := 0; i < 200 && e.reading.Load() && !e.rl.Terminal.IsReading(); i++ {
		time.Sleep(50 * time.Microsecond)
	}
}

// childTerminal sets the terminal for a program that runs on it while
// code runs (echo and line editing back on), and returns what sets it back
// for keys typed ahead. While a prompt is up (a task ran the program)
// readline holds the terminal, and it is left alone.
func (e *termEditor) childTerminal() (restore func()) {
	if e.reading.Load() || e.closed.Load() {
		return func() {}
	}
	typeAhead(e.fd, false)
	return func() {
		if !e.closed.Load() { // else the terminal is as the shell found it
			typeAhead(e.fd, true)
		}
	}
}

// SaveHistory adds a whole chunk to the history file.
func (e *termEditor) SaveHistory(chunk string) { e.rl.SaveHistory(chunk) }

// Cancel ends a Readline under way, as the end of input would.
func (e *termEditor) Cancel() bool {
	e.stdin.Close()
	return true
}

// Close gives the output back and restores the terminal.
func (e *termEditor) Close() error {
	// In the reverse order, so that Out and Err may be one Console.
	e.err.swap(e.prevErr)
	e.out.swap(e.prevOut)
	// readline's Close closes the wrapper it put around Stdin, not Stdin,
	// and then waits for its reader, which may be blocked reading Stdin:
	// closing Stdin first unblocks it.
	e.stdin.Close()
	err := e.rl.Close()
	e.closed.Store(true)
	if e.fd >= 0 {
		typeAhead(e.fd, false)
	}
	return err
}
