// Package luaapi binds sockshell's socket core (package sock) to Lua: one
// Session is one Lua state with the socket functions, its own output writers,
// the sockets it opened and a way to interrupt whatever it runs.
//
// Lua functions (every one is documented in Docs, which the README and the
// shell's help() both read):
//
//	listen(port [, host]) / listen{port=, host=}  -> socket | nil, err
//	recvfrom(sock [, bufsize [, timeout]])         -> data, ip, port [, truncated] | nil, err
//	sendto(data, host, port)                       -> bytes | nil, err
//	sendto(sock, data, host, port)                 -> bytes | nil, err
//	hostinfo()                                     -> table
//	help([fn])
//	sock:recvfrom, sock:sendto, sock:settimeout, sock:getsockname, sock:close
//
// A Session must be used from one goroutine, except Interrupt, which any
// goroutine may call.
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

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
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
	// Safe runs untrusted code: no os.execute, io.popen, package.loadlib
	// or os.exit, and no file writes outside the current directory.
	// Sockets stay available.
	Safe bool
}

// Session is one Lua state with sockshell's functions.
type Session struct {
	L      *lua.LState
	stdout io.Writer
	stderr io.Writer
	intr   *interrupter

	mu      sync.Mutex // guards running
	running bool

	// root ends with the session (Close or os.exit); tasks' contexts
	// derive from it, so that ending it ends them.
	root       context.Context
	cancelRoot context.CancelFunc
	sched      *scheduler

	stdin   *stdinReader
	sockets map[socket]struct{}

	pluginDirs []PluginDir
	builtin    fs.FS
	commands   map[string]*command
	pluginDocs map[string]*Doc
	exitCode   *int
	docsByFn   map[lua.LValue]*Doc
}

// New makes a Session with the standard Lua libraries and sockshell's.
func New(opts Options) *Session {
	s := &Session{
		stdout:   opts.Stdout,
		stderr:   opts.Stderr,
		intr:     newInterrupter(),
		sockets:  map[socket]struct{}{},
		docsByFn: map[lua.LValue]*Doc{},
	}
	if s.stdout == nil {
		s.stdout = os.Stdout
	}
	if s.stderr == nil {
		s.stderr = os.Stderr
	}
	s.root, s.cancelRoot = context.WithCancel(context.Background())
	s.L = lua.NewState(lua.Options{
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
	s.L.SetContext(s.intr)
	s.openBase()
	in := opts.Stdin
	if in == nil {
		in = os.Stdin
	}
	s.openStdin(in)
	s.openLoad()
	dirs := opts.PluginDirs
	if dirs == nil {
		dirs = DefaultPluginDirs()
	}
	s.openPlugins(dirs, opts.Builtin)
	if opts.Safe {
		s.openSafe()
	}
	s.openSockets()
	s.openTasks()
	s.openBinary()
	return s
}

// Close ends every task, closes every socket the session opened and the
// Lua state.
func (s *Session) Close() {
	s.cancelRoot()
	for u := range s.sockets {
		u.close(s)
	}
	s.L.Close()
}

// Interrupt stops the chunk that is running, as Ctrl-C does: a blocked
// socket call returns at once and Lua code stops at its next instruction.
// It reports false when nothing runs. The session keeps its state.
func (s *Session) Interrupt() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running && s.intr.cancel(ErrInterrupted)
}

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
	return s.L.NewFunctionFromProto(proto), nil
}

func syntaxError(err error, src, name string) error {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return &Error{Message: strings.TrimSpace(err.Error())}
	}
	msg := strings.TrimSpace(pe.Message)
	if pe.Pos.Line == parse.EOF {
		line := strings.Count(src, "\n") + 1
		if strings.HasSuffix(src, "\n") {
			line--
		}
		return &Error{Message: fmt.Sprintf("%s:%d: %s near <eof>", name, line, msg), Incomplete: true}
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

// enter marks the session as running code, which Interrupt stops, until
// the function it returns is called; that re-arms the interrupter.
func (s *Session) enter() (leave func()) {
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.running = false
		s.intr.rearm()
		s.mu.Unlock()
	}
}

// Call runs fn with args and returns its results. While it runs, Interrupt
// stops it. A Lua error is an *Error, os.exit an *ExitError.
func (s *Session) Call(fn *lua.LFunction, args ...lua.LValue) ([]lua.LValue, error) {
	defer s.enter()()
	L := s.L
	base := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), lua.MultRet, nil)
	if s.exitCode != nil {
		L.SetTop(base)
		return nil, &ExitError{Code: *s.exitCode}
	}
	if err != nil {
		L.SetTop(base)
		e := &Error{Message: err.Error(), Interrupted: errors.Is(s.intr.Err(), ErrInterrupted)}
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			e.Message = ae.Object.String()
			e.Traceback = ae.StackTrace
		}
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

// Drain runs the session's tasks until none is left, as a script's end
// does. Interrupt, or stop being closed (even before Drain runs), stops
// them all: it then returns an *Error with Interrupted set; os.exit in a
// task gives an *ExitError.
func (s *Session) Drain(stop <-chan struct{}) error {
	defer s.enter()()
	for {
		s.runReady(s.L)
		if s.exitCode != nil {
			return &ExitError{Code: *s.exitCode}
		}
		if s.Alive() == 0 {
			return nil
		}
		select {
		case ev := <-s.sched.events:
			ev()
			continue
		case <-s.intr.Done():
			if s.exitCode != nil {
				return &ExitError{Code: *s.exitCode}
			}
		case <-stop:
		}
		for _, t := range append([]*task(nil), s.sched.tasks...) {
			t.cancel()
			s.endTask(t, taskCancelled)
		}
		return &Error{Message: "interrupted", Interrupted: true}
	}
}

// Exited reports the status os.exit asked for, if it was called.
func (s *Session) Exited() (int, bool) {
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

// Require loads module name as require(name) does and stores it in the
// global of the same name, as lua -l does.
func (s *Session) Require(name string) error {
	fn, err := s.Compile(fmt.Sprintf("%s = require(%q)", name, name), "(command line)")
	if err != nil {
		return err
	}
	_, err = s.Call(fn)
	return err
}

// ToString converts v as Lua's tostring does, __tostring included.
func (s *Session) ToString(v lua.LValue) string {
	if mt := s.L.GetMetaField(v, "__tostring"); mt != lua.LNil {
		if err := s.L.CallByParam(lua.P{Fn: mt, NRet: 1, Protect: true}, v); err == nil {
			r := s.L.Get(-1)
			s.L.Pop(1)
			return lua.LVAsString(r)
		}
	}
	return v.String()
}

// Stdout is the writer Lua's output goes to.
func (s *Session) Stdout() io.Writer { return s.stdout }
