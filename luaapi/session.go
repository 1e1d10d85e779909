// Package luaapi binds sockshell's socket core (package sock) to Lua: one
// Session is one Lua world (gopher-lua) with sockshell's functions — UDP and
// TCP sockets, tasks, binary data, plugins, help, trace — its own output
// writers, the sockets it opened and a way to interrupt whatever it runs.
// Every Lua function is documented once, in Docs, which luaapi/README.md and the
// shell's help() both read.
//
// Lua code runs on the goroutine that holds the session's baton (see
// sched): the caller's for a chunk, a task's own for a task. Any goroutine
// may call a Session's methods; they take the baton themselves.
package luaapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/culprit"
	"github.com/sockshell/sockshell/luaapi/lib/capture"
	"github.com/sockshell/sockshell/luaapi/lib/lua51"
	"github.com/sockshell/sockshell/luaapi/lib/luasocket"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// Options configure a Session.
type Options struct {
	// Stdout receives print, io.write and io.stdout; os.Stdout when nil.
	Stdout io.Writer
	// Stderr receives io.stderr; os.Stderr when nil.
	Stderr io.Writer
	// Stdin is what io.read and io.lines read; os.Stdin when nil. Give
	// ShellInput when a line editor owns standard input.
	Stdin io.Reader
	// PluginDirs is where require looks for plugins, in order;
	// DefaultPluginDirs() when nil.
	PluginDirs []PluginDir
	// Builtin holds the bundled scripts (*.lua) and plugins (plugins/*.lua),
	// searched after PluginDirs; none when nil.
	Builtin fs.FS
	// Width tells how wide the terminal is, for help's lines; 80 when nil.
	Width func() int
	// Height tells how many lines the terminal shows: help's longer text
	// is paged (see More). Nil, off a terminal: nothing is paged.
	Height func() int
	// Safe runs untrusted code: no os.execute, io.popen, package.loadlib,
	// os.exit, string.dump or debug library but traceback; no files, no
	// network and no environment but what Allow grants.
	Safe  bool
	Allow Permissions
}

// Session is one Lua state with sockshell's functions.
type Session struct {
	// main is the main thread. Lua code runs only while its goroutine
	// holds the baton (see sched); Session's methods take it themselves.
	main   *lua.LState
	stdout io.Writer
	stderr io.Writer
	sched  *sched
	// explainer names the culprits of the session's errors.
	explainer *culprit.Explainer

	// root ends with the session (Close or os.exit); every chunk's and
	// task's context derives from it, so that ending it ends them all.
	root       context.Context
	cancelRoot context.CancelCauseFunc
	closeOnce  sync.Once // Close's work, done once

	mu          sync.Mutex              // guards chunkCancel and interrupted
	chunkCancel context.CancelCauseFunc // of the chunk (or Drain) under way
	interrupted bool                    // that chunk was interrupted already
	started     bool                    // that chunk has the baton: it runs

	exitMu   sync.Mutex
	exitCode *int

	// Reused buffers of print and string.format (see scratch).
	printBuf bind.Scratch

	stdin   *stdinReader
	sockets *registry
	tracer  tracer

	pluginDirs []PluginDir
	builtin    fs.FS
	commands   map[string]*command
	pluginDocs map[string]*bind.Doc
	docsByFn   map[lua.LValue]*bind.Doc
	sandbox    *sandbox // in --safe mode

	// childTerminal readies the terminal for a program os.execute runs
	// (SetChildTerminal).
	childTerminalMu sync.Mutex
	childTerminal   func() (restore func())

	// pluginNames' cache: the plugins' names, and when they were read.
	pluginNamesMu   sync.Mutex
	pluginNamesList map[string]bool
	pluginNamesAt   time.Time

	historyMu sync.Mutex
	history   []Entry // the chunks typed at the prompt; guarded by historyMu

	// dissectors decode traffic for trace and show, the last registered
	// first; loadedDissectors names the built-in plugins' dissectors
	// already loaded (or tried). Guarded by the baton.
	dissectors       []*dissector
	loadedDissectors map[string]bool

	widthOf  func() int
	heightOf func() int
	more     []string // the lines of paged text not shown yet; guarded by the baton
	tourAt   int      // the next step of tour(); guarded by the baton

	onError    *lua.LFunction         // handleError
	traceback  lua.LValue             // debug.traceback as it came
	tracebacks map[*lua.LState]string // by handleError, for luaError; guarded by the baton
}

// New makes a Session with the standard Lua libraries and sockshell's.
func New(opts Options) *Session {
	s := &Session{
		stdout:   opts.Stdout,
		stderr:   opts.Stderr,
		sockets:  newRegistry(),
		widthOf:  opts.Width,
		heightOf: opts.Height,
		docsByFn: map[lua.LValue]*bind.Doc{},
	}
	if s.stdout == nil {
		s.stdout = os.Stdout
	}
	if s.stderr == nil {
		s.stderr = os.Stderr
	}
	procmem.Budget() // the default budget, unless one was set: allocations are checked
	procmem.Start()
	s.root, s.cancelRoot = context.WithCancelCause(context.Background())
	s.main = lua.NewState(lua.Options{
		// Every task and coroutine is a thread with these sizes, so they
		// start small and grow: recursion as deep as C Lua's 20000 calls,
		// and a data stack that grows to a million slots (string.byte of
		// a whole datagram needs 65535). A thread then costs a few KB
		// rather than gopher-lua's default 100 KB.
		CallStackSize:       20000,
		MinimizeStackMemory: true,
		RegistrySize:        256,
		RegistryGrowStep:    256,
		RegistryMaxSize:     1 << 20,
	})
	// The hooks are this state's: a host with other Lua states beside
	// sessions keeps gopher-lua's own behaviour in them.
	s.main.G.AllocCheck = func(size int) error { return procmem.Check(int64(size)) }
	s.explainer = &culprit.Explainer{Kind: func(ud *lua.LUserData) (string, bool) {
		so, ok := ud.Value.(bind.Socket)
		if !ok {
			return "", false
		}
		return so.Kind(), true
	}, Missing: s.missingGlobal}
	s.main.G.ExplainError = s.explainer.Raised
	s.main.G.Poked = procmem.Poked
	s.sched = newSched(s.main)
	// Setting up runs Lua code too: it holds the baton like any chunk.
	s.sched.enter(s.main, nil)
	s.tracebacks = map[*lua.LState]string{}
	s.traceback = s.main.GetField(s.main.GetGlobal("debug"), "traceback")
	s.onError = s.main.NewFunction(s.handleError)
	s.openBase()
	lua51.Open(s.main)
	in := opts.Stdin
	if in == nil {
		in = os.Stdin
	}
	s.openStdin(in)
	s.openExecute()
	s.openLoad()
	dirs := opts.PluginDirs
	if dirs == nil {
		dirs = DefaultPluginDirs()
	}
	s.openPlugins(dirs, opts.Builtin)
	if opts.Safe {
		if err := s.openSafe(opts.Allow); err != nil {
			s.openSafe(Permissions{}) // permissions it cannot read grant nothing
		}
	}
	s.openSockets()
	s.openTasks()
	s.openBinary()
	s.openTrace()
	luasocket.Open(s.main, sessionHost{s})
	capture.Open(s.main, sessionHost{s})
	s.sched.leave()
	return s
}

// Close ends every task, closes every socket the session opened and the
// Lua state. Tasks blocked in calls return at once; Close waits for them
// to unwind, but not for ever for one stuck in a call that cannot be
// stopped (a read of a pipe io.popen opened, say). Closing a closed session
// does nothing.
func (s *Session) Close() {
	s.closeOnce.Do(s.close)
}

func (s *Session) close() {
	s.cancelRoot(errClosed)
	s.sched.cancelAll()
	finished := make(chan struct{})
	go func() {
		s.sched.wg.Wait()
		close(finished)
	}()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-finished:
	case <-timer.C:
	}
	s.sockets.closeAll()
	s.tracer.mu.Lock()
	s.tracer.closeFile()
	s.tracer.mu.Unlock()
	select {
	case <-finished:
		s.main.Close()
	default:
	}
}

// errClosed is the cause of the session's end by Close.
var errClosed = errors.New("session closed")

// errExit is the cause when the script called os.exit.
var errExit = errors.New("exit")

// Interrupt stops the chunk that is running, as Ctrl-C does: a blocked
// socket call returns at once and Lua code stops at its next instruction.
// Tasks go on. It reports false when no chunk runs, or when the one that
// runs was interrupted already (a task that hogs the baton keeps it from
// stopping: InterruptTask stops that task). The session keeps its state.
func (s *Session) Interrupt() bool {
	s.mu.Lock()
	cancel := s.chunkCancel
	if cancel == nil || s.interrupted {
		s.mu.Unlock()
		return false
	}
	if !s.started {
		// The chunk waits for a task that keeps the session busy: stop
		// that task, and the chunk (a line typed meanwhile) runs.
		s.mu.Unlock()
		if s.InterruptTask() {
			return true
		}
		s.mu.Lock()
	}
	s.interrupted = true
	s.mu.Unlock()
	cancel(ErrInterrupted)
	s.sched.chunkWait.reclaim()
	return true
}

// Done is closed when the session ends: Close, or os.exit in any chunk or
// task (Exited then says with which code).
func (s *Session) Done() <-chan struct{} { return s.root.Done() }

// Error is a Lua error that ended a chunk.
type Error struct {
	Message     string // with its position, e.g. "script.lua:3: boom"
	Traceback   string // "stack traceback:\n\t..."; empty for syntax errors
	Interrupted bool   // the chunk was stopped by Interrupt
	Incomplete  bool   // a syntax error at the end of the input: more may follow
}

// Error returns the message, position included.
func (e *Error) Error() string { return e.Message }

// ExitError reports that the script called os.exit(Code).
type ExitError struct{ Code int }

// Error says which status the script asked for.
func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Compile parses src as a chunk named name. A syntax error is an *Error
// whose message reads "name:line: message near 'token'", with Incomplete set
// when the chunk ended too soon (the shell then reads another line).
func (s *Session) Compile(src, name string) (*lua.LFunction, error) {
	proto, err := compile(src, name)
	if err != nil {
		return nil, err
	}
	return s.main.NewFunctionFromProto(proto), nil
}

func syntaxError(err error, src, name string) error {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return &Error{Message: strings.TrimSpace(err.Error())}
	}
	msg := strings.TrimSpace(pe.Message)
	if pe.Pos.Line == parse.EOF {
		line := strings.Count(src, "\n") + 1 // the line the end is on, as Lua counts
		return &Error{Message: fmt.Sprintf("%s:%d: %s near '<eof>'", name, line, msg), Incomplete: true}
	}
	return &Error{Message: fmt.Sprintf("%s:%d: %s near '%s'", name, pe.Pos.Line, msg, pe.Token)}
}

// LoadFile compiles the file at path; "-" reads standard input, named "stdin".
func (s *Session) LoadFile(path string, stdin io.Reader) (*lua.LFunction, error) {
	var (
		src  []byte
		err  error
		name = path
	)
	if path == "-" {
		name = "stdin"
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("cannot open %s", strings.TrimPrefix(err.Error(), "open "))}
	}
	// A first line starting with # (a shebang) is skipped, as lua does.
	// Making it a comment keeps the line numbers.
	if bytes.HasPrefix(src, []byte("#")) {
		src = append([]byte("--"), src...)
	}
	return s.Compile(string(src), name)
}

// begin starts a chunk (or Drain): its context, which Interrupt and
// ctx's end cancel, and the function that ends it.
func (s *Session) begin(ctx context.Context) (context.Context, func()) {
	chunk, cancel := context.WithCancelCause(s.root)
	stop := context.AfterFunc(ctx, func() { cancel(ErrInterrupted) })
	s.mu.Lock()
	s.chunkCancel, s.interrupted, s.started = cancel, false, false
	s.mu.Unlock()
	return chunk, func() {
		stop()
		s.mu.Lock()
		s.chunkCancel = nil
		s.mu.Unlock()
		cancel(nil)
	}
}

// Call runs fn with args and returns its results. While it runs, Interrupt
// stops it. A Lua error is an *Error, os.exit an *ExitError.
func (s *Session) Call(fn *lua.LFunction, args ...lua.LValue) ([]lua.LValue, error) {
	return s.CallContext(context.Background(), fn, args...)
}

// CallContext is Call, also stopped (as by Interrupt) when ctx ends, even
// before it starts.
func (s *Session) CallContext(ctx context.Context, fn *lua.LFunction, args ...lua.LValue) ([]lua.LValue, error) {
	chunk, end := s.begin(ctx)
	L := s.main
	s.sched.enter(L, nil)
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	// The chunk ends before the baton goes: once a task has the baton,
	// no chunk is running, and Ctrl-C is the task's (a task spawned by
	// the chunk may run, and print, the moment the baton goes).
	defer func() {
		end()
		s.sched.leave()
	}()
	if code, ok := s.Exited(); ok {
		return nil, &ExitError{Code: code}
	}
	L.SetContext(luaContext{chunk})
	defer L.RemoveContext()
	base := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), lua.MultRet, s.onError)
	s.flushTrace(L) // trace lines that waited for Lua to decode them
	if code, ok := s.Exited(); ok {
		L.SetTop(base)
		return nil, &ExitError{Code: code}
	}
	if err != nil {
		L.SetTop(base)
		e := s.luaError(L, err)
		e.Interrupted = errors.Is(context.Cause(chunk), ErrInterrupted)
		return nil, e
	}
	n := L.GetTop() - base
	results := make([]lua.LValue, n)
	for i := range results {
		results[i] = L.Get(base + 1 + i)
	}
	L.SetTop(base)
	return results, nil
}

// luaError is the *Error for what a PCall on thread L with s.onError
// returned.
func (s *Session) luaError(L *lua.LState, err error) *Error {
	e := &Error{Message: err.Error()}
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		e.Message, e.Traceback = ae.Object.String(), ae.StackTrace
		switch {
		case ae.Type == lua.ApiErrorPanic:
			e.Message = internalError(ae.Object.String())
		case ae.Object.Type() != lua.LTString && ae.Object.Type() != lua.LTNumber:
			// error({code = 1}): the value as the prompt shows values
			// (its __tostring, when it has one), not "table: 0x…".
			e.Message = "error: " + s.show(L, ae.Object)
		}
	}
	if tb, ok := s.tracebacks[L]; ok {
		e.Traceback = tb
		delete(s.tracebacks, L)
	}
	return e
}

// handleError is the message handler of every chunk and task: where the
// error happened, it names the culprit of a bad call or index (explain)
// and keeps the traceback for luaError. A Go panic that reached Lua (a
// bug in sockshell or gopher-lua) reads as such.
func (s *Session) handleError(L *lua.LState) int {
	msg := L.Get(1)
	if str, ok := msg.(lua.LString); ok {
		text := string(str)
		if strings.HasPrefix(text, "runtime error: ") {
			text = internalError(text)
		}
		msg = lua.LString(s.explainer.Explain(L, text))
	}
	// Level 2: past this handler, whose frame gopher-lua names after the
	// failed call.
	if err := L.CallByParam(lua.P{Fn: s.traceback, NRet: 1, Protect: true}, lua.LString(""), lua.LNumber(2)); err == nil {
		s.tracebacks[L] = strings.TrimPrefix(L.Get(-1).String(), "\n")
		L.Pop(1)
	}
	L.Push(msg)
	return 1
}

// internalError is the message for a Go panic that reached Lua.
func internalError(what string) string {
	return fmt.Sprintf("internal error: %s (a bug in sockshell: please report it with the code that caused it)", what)
}

// Drain waits until the session's tasks have all ended, as a script's end
// does. Interrupt, or stop being closed (even before Drain runs), ends
// them all: it then returns an *Error with Interrupted set; os.exit in a
// task gives an *ExitError.
func (s *Session) Drain(stop <-chan struct{}) error {
	ctx, end := s.begin(context.Background())
	defer end()
	s.mu.Lock()
	s.started = true // Interrupt ends the wait, not a task
	s.mu.Unlock()
	for {
		if code, ok := s.Exited(); ok {
			return &ExitError{Code: code}
		}
		alive, emptied := s.sched.alive()
		if len(alive) == 0 {
			return nil
		}
		select {
		case <-emptied:
			continue
		case <-ctx.Done():
		case <-stop:
		}
		if code, ok := s.Exited(); ok {
			return &ExitError{Code: code}
		}
		s.sched.cancelAll()
		return &Error{Message: "interrupted", Interrupted: true}
	}
}

// exit records os.exit's code and ends the session.
func (s *Session) exit(code int) {
	s.exitMu.Lock()
	if s.exitCode == nil {
		s.exitCode = &code
	}
	s.exitMu.Unlock()
	s.cancelRoot(errExit)
}

// Exit ends the session as os.exit(code) does: every chunk and task
// stops, and Call returns an *ExitError. --timeout uses it.
func (s *Session) Exit(code int) { s.exit(code) }

// exiting reports whether os.exit was called.
func (s *Session) exiting() bool {
	_, ok := s.Exited()
	return ok
}

// Exited reports the status os.exit asked for, if it was called.
func (s *Session) Exited() (int, bool) {
	s.exitMu.Lock()
	defer s.exitMu.Unlock()
	if s.exitCode == nil {
		return 0, false
	}
	return *s.exitCode, true
}

// DoString compiles and runs src as a chunk named name.
func (s *Session) DoString(src, name string) error {
	fn, err := s.Compile(src, name)
	if err != nil {
		return err
	}
	_, err = s.Call(fn)
	return err
}

// ToString converts v as Lua's tostring does, __tostring included.
func (s *Session) ToString(v lua.LValue) string {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	return toString(s.main, v)
}

// toString is ToString for Lua code that holds the baton, on its thread L.

func toString(L *lua.LState, v lua.LValue) string {
	if mt := L.GetMetaField(v, "__tostring"); mt != lua.LNil {
		if err := L.CallByParam(lua.P{Fn: mt, NRet: 1, Protect: true}, v); err == nil {
			r := L.Get(-1)
			L.Pop(1)
			return lua.LVAsString(r)
		}
	}
	return v.String()
}

// SetGlobal sets a global variable.
func (s *Session) SetGlobal(name string, v lua.LValue) {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	s.main.SetGlobal(name, v)
}

// Register makes fn the global function name. fn runs holding the baton,
// as all Lua code does: it may use the LState it is given, but must not
// call the Session's methods, which would wait for the baton it holds.
func (s *Session) Register(name string, fn lua.LGFunction) {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	s.main.SetGlobal(name, s.main.NewFunction(fn))
}

// Global reads a global variable.
func (s *Session) Global(name string) lua.LValue {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	return s.main.GetGlobal(name)
}

// SetArgs makes the global arg table as the lua interpreter does: argv
// from the command line, with the script at index script (its arguments
// after it, the interpreter and its options before it); script is
// len(argv) when there is none.
func (s *Session) SetArgs(argv []string, script int) {
	if script == len(argv) {
		script = 0
	}
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	t := s.main.NewTable()
	for i, a := range argv {
		t.RawSetInt(i-script, lua.LString(a))
	}
	s.main.SetGlobal("arg", t)
}

// Stdout is the writer Lua's output goes to.
func (s *Session) Stdout() io.Writer { return s.stdout }

// ErrInterrupted is the cause of a chunk stopped by Session.Interrupt.
var ErrInterrupted = bind.ErrInterrupted
