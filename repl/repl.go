// Package repl is sockshell's interactive shell as a library: it reads Lua
// from any io.Reader, runs it in a luaapi.Session and writes to injected
// writers, so most of it is tested without a terminal. On a terminal it edits
// lines with github.com/chzyer/readline and keeps a history file.
//
// A line that is an expression prints its values (`1+1` prints 2; `=expr`
// works too); a statement runs; an unfinished chunk (`function f()`) asks for
// more with a second prompt. Errors print and the session keeps its globals
// and sockets. Interrupting a running chunk (Session.Interrupt, which the
// command wires to Ctrl-C) returns to the prompt.
package repl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/chzyer/readline"
	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi"
)

// Prompts.
const (
	Prompt         = "> "
	PromptContinue = ">> "
)

// Options configure the shell.
type Options struct {
	// In is where lines come from.
	In io.Reader
	// Out receives results and prompts; Err receives errors. Use the same
	// Console as the session's Stdout so that every line goes through one
	// writer.
	Out, Err *Console
	// Terminal says In and Out are a terminal: lines are edited with
	// readline and saved in HistoryFile. Off a terminal nothing is saved.
	Terminal bool
	// HistoryFile is where a terminal session keeps its history; "" keeps none.
	HistoryFile string
	// Banner is printed before the first prompt, if not empty.
	Banner string
	// Color paints the prompt, errors and results (numbers, strings,
	// booleans and nil) with ANSI colours; for a terminal only.
	Color bool
}

// Run reads and runs chunks in s until the input ends or the code calls
// os.exit. It returns the exit status: 0 at the end of input, or the code
// given to os.exit. While it waits for a line, the session's tasks run (the
// shell holds the session's baton only while it runs a chunk), and what
// they print appears above the prompt.
func Run(s *luaapi.Session, opts Options) int {
	comp := &completer{}
	if opts.Terminal {
		comp.names.Store(s.Names())
	}
	ed, err := newEditor(opts, comp)
	if err != nil {
		fmt.Fprintf(opts.Err, "sockshell: %v\n", err)
		return 1
	}
	if te, ok := ed.(*termEditor); ok && te.fd >= 0 {
		// A program os.execute runs gets the terminal as programs expect
		// it, not as keys typed ahead wait (typeAhead).
		s.SetChildTerminal(te.childTerminal)
		defer s.SetChildTerminal(nil)
	}
	if opts.Banner != "" {
		fmt.Fprintln(opts.Out, opts.Banner)
	}
	in := startInput(ed, s)
	defer in.stop()
	if code, exit := s.Exited(); exit {
		return code
	}
	var pending string // the lines of an unfinished chunk
	warned := false    // Ctrl-D was typed while tasks ran, and said so
	in.ask(prompt(opts, Prompt), "")
	for {
		var r line
		select {
		case r = <-in.lines:
		case <-s.Done(): // os.exit in a task
			code, _ := s.Exited()
			return code
		}
		save := ""
		if r.err != nil || r.text != "" {
			s.DropMore() // anything but Enter goes on from paged text
		}
		if r.err == nil {
			warned = false // a line in between: the next Ctrl-D warns again
		}
		var bug *editorPanic
		switch {
		case errors.As(r.err, &bug):
			printError(opts, "sockshell: "+bug.Error())
			return ExitBug
		case errors.Is(r.err, readline.ErrInterrupt):
			pending = "" // Ctrl-C at the prompt discards the chunk
		case r.err != nil && pending != "" && opts.Terminal:
			// Ctrl-D on an empty continuation line drops the unfinished
			// chunk; the session stays.
			pending = ""
		case r.err == io.EOF && opts.Terminal && !warned && s.Alive() > 0:
			// Ctrl-D on an empty line while tasks run: say which, once;
			// a second Ctrl-D leaves. (Not at the input's end:
			// errInputEnded.)
			warned = true
			printError(opts, "still running: "+strings.Join(s.Running(), ", ")+
				"\nCtrl-D again stops them and leaves; t:wait() waits for one")
		case r.err != nil: // io.EOF: Ctrl-D on an empty line, or the input's end
			if pending != "" {
				// The input ended inside a chunk: say why it did not run.
				if _, cerr := s.Compile(pending, "stdin"); cerr != nil {
					printError(opts, cerr)
				}
			}
			return 0
		case pending == "" && r.text == "" && s.More():
			// Enter on an empty line: the next page of help's text.
		case pending == "" && strings.HasPrefix(r.text, "?"):
			// ?name is help "name"; ? alone is help().
			save = r.text
			name := strings.TrimSpace(r.text[1:])
			src := "help()"
			if name != "" {
				src = fmt.Sprintf("help(%q)", name)
			}
			status := luaapi.Ran
			if err := s.DoString(src, "=?"); err != nil {
				printError(opts, err)
				status = luaapi.Failed
			}
			s.Record(luaapi.Entry{Source: r.text, Kind: luaapi.Help, Status: status})
		case pending == "" && strings.HasPrefix(r.text, ":"):
			// A shell command: :help, :plugins, :reload, or a plugin's.
			save = r.text
			status := luaapi.Ran
			if err := s.RunCommand(r.text[1:]); err != nil {
				var exit *luaapi.ExitError
				if errors.As(err, &exit) {
					return exit.Code
				}
				printError(opts, err)
				status = luaapi.Failed
			}
			s.Record(luaapi.Entry{Source: r.text, Kind: luaapi.Command, Status: status})
		default:
			chunk := pending + r.text
			fn, expr, cerr := compileLine(s, chunk, pending == "")
			var le *luaapi.Error
			if errors.As(cerr, &le) && le.Incomplete {
				pending = chunk + "\n"
				break
			}
			pending, save = "", chunk
			if cerr != nil {
				printError(opts, cerr)
				s.Record(luaapi.Entry{Source: chunk, Status: luaapi.Invalid})
				break
			}
			code, exit, status, printed := runChunk(s, fn, opts)
			if exit {
				return code
			}
			kind := luaapi.Code
			if expr && printed {
				kind = luaapi.Expression // a script shows what the prompt showed
			}
			s.Record(luaapi.Entry{Source: chunk, Kind: kind, Status: status})
		}
		if opts.Terminal && pending == "" {
			// What the chunk defined completes now; while a task keeps
			// the session busy, the prompt comes anyway, with the names
			// of before.
			if names, ok := s.NamesIfIdle(); ok {
				comp.names.Store(names)
			}
		}
		if pending == "" {
			in.ask(prompt(opts, Prompt), save)
		} else {
			in.ask(prompt(opts, PromptContinue), save)
		}
		if code, exit := s.Exited(); exit {
			return code
		}
	}
}

// line is what the input goroutine read.
type line struct {
	text string
	err  error
}

// editorPanic is a panic in the line editor, reported as a line's error.
type editorPanic struct {
	value any
	stack []byte
}

func (e *editorPanic) Error() string {
	return fmt.Sprintf("internal error in the line editor: %v (a bug: please report it with what you did)\n%s", e.value, e.stack)
}

// ExitBug is Run's status when the shell itself failed (EX_SOFTWARE).
const ExitBug = 70

// request asks the input goroutine for a line, after saving a chunk.
type request struct{ prompt, save string }

// input reads lines on a goroutine of its own, so that the session's
// goroutine can run tasks meanwhile. The editor is used from that
// goroutine only: readline's Close must not race its Readline.
type input struct {
	ed       editor
	requests chan request
	lines    chan line
	quit     chan struct{} // closed by stop
	done     chan struct{} // closed when the editor is closed
}

func startInput(ed editor, s *luaapi.Session) *input {
	in := &input{ed: ed, requests: make(chan request), lines: make(chan line),
		quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		var closeOnce sync.Once
		closeEditor := func() { closeOnce.Do(func() { ed.Close() }) }
		defer closeEditor()
		defer func() {
			// A bug in the line editor: put the terminal back first,
			// then tell the shell, which ends.
			if r := recover(); r != nil {
				closeEditor()
				select {
				case in.lines <- line{err: &editorPanic{value: r, stack: debug.Stack()}}:
				case <-in.quit:
				}
			}
		}()
		for req := range in.requests {
			if req.save != "" {
				ed.SaveHistory(req.save)
			}
			text, err := ed.Readline(req.prompt)
			if errors.Is(err, readline.ErrInterrupt) {
				// Ctrl-C at the prompt: a task hogging the session is
				// stopped; tasks that wait are left alone.
				s.InterruptTask()
			}
			select {
			case in.lines <- line{text, err}:
			case <-in.quit:
				return
			}
		}
	}()
	return in
}

func (in *input) ask(prompt, save string) { in.requests <- request{prompt, save} }

// stop ends the input goroutine and waits until the editor is closed (the
// terminal restored), unless the editor cannot be woken from a read.
func (in *input) stop() {
	close(in.quit)
	close(in.requests)
	if in.ed.Cancel() {
		<-in.done
	}
}

// compileLine compiles chunk, first as an expression whose values print
// ("return " .. chunk), then as statements. "=expr" is "return expr". It
// reports whether chunk is an expression.
func compileLine(s *luaapi.Session, chunk string, first bool) (*lua.LFunction, bool, error) {
	if first && strings.HasPrefix(chunk, "=") {
		fn, err := s.Compile("return "+chunk[1:], "stdin")
		return fn, true, err
	}
	if fn, err := s.Compile("return "+chunk, "stdin"); err == nil {
		return fn, true, nil
	}
	fn, err := s.Compile(chunk, "stdin")
	return fn, false, err
}

// runChunk runs fn and prints its values or its error. It reports whether
// the code asked to exit, and with what code; how the chunk ended; and
// whether it printed values.
func runChunk(s *luaapi.Session, fn *lua.LFunction, opts Options) (code int, exit bool, status luaapi.EntryStatus, printed bool) {
	results, err := s.Call(fn)
	var ee *luaapi.ExitError
	var le *luaapi.Error
	switch {
	case errors.As(err, &ee):
		return ee.Code, true, luaapi.Ran, false
	case errors.As(err, &le) && le.Interrupted:
		printError(opts, "interrupted")
		return 0, false, luaapi.Interrupted, false
	case err != nil:
		printError(opts, err)
		return 0, false, luaapi.Failed, false
	case len(results) > 0:
		vals := make([]string, len(results))
		for i, v := range results {
			vals[i] = s.ShowColor(v, opts.Color)
		}
		fmt.Fprintln(opts.Out, luaapi.JoinShown(vals))
		return 0, false, luaapi.Ran, true
	}
	return 0, false, luaapi.Ran, false
}

// prompt is p, in bold blue on a terminal with colour.
func prompt(opts Options, p string) string {
	if !opts.Color {
		return p
	}
	return "\x1b[1;34m" + strings.TrimSpace(p) + "\x1b[0m "
}

// printError prints an error line, in red on a terminal with colour.
func printError(opts Options, err any) {
	text := fmt.Sprint(err)
	if opts.Color {
		text = "\x1b[31m" + text + "\x1b[0m"
	}
	fmt.Fprintln(opts.Err, text)
}

// HistoryFile is where the shell keeps its history:
// $XDG_STATE_HOME/sockshell/history, by default
// ~/.local/state/sockshell/history. It returns "" when neither variable
// gives a place.
func HistoryFile() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "sockshell", "history")
}
