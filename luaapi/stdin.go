package luaapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/internal/turn"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// ErrShellInput is what reading standard input gives at the shell's prompt,
// where the line editor owns it.
var ErrShellInput = errors.New("standard input belongs to the shell here")

// stdinReader is the session's standard input. A read waits like any
// blocking call (other tasks run, Ctrl-C stops it at once): one goroutine
// at a time reads the underlying reader into buf, only when a read needs
// more, and what it gets stays in buf until a read takes it, so nothing is
// lost to a read that was stopped.
type stdinReader struct {
	src  io.Reader
	turn turn.Turn // readers take turns, in call order

	mu      sync.Mutex // guards what follows
	buf     []byte
	seen    int           // bytes at buf's front known to hold no '\n'
	err     error         // the underlying reader's error (io.EOF at the end)
	pumping bool          // a goroutine is in src.Read
	filled  chan struct{} // closed when that read returns
}

// openStdin replaces io.read, io.lines and io.stdin with versions that
// read the session's standard input without blocking other tasks.
func (s *Session) openStdin(in io.Reader) {
	L := s.main
	s.stdin = &stdinReader{src: in}
	iolib := L.GetGlobal("io").(*lua.LTable)
	origLines := iolib.RawGetString("lines")
	stdin := L.NewUserData()
	var input lua.LValue = stdin // the default input file
	lines := L.NewFunction(func(L *lua.LState) int {
		L.Push(L.NewFunction(func(L *lua.LState) int {
			L.SetTop(0)
			return s.readStdin(L, 1, "lines")
		}))
		return 1
	})
	iolib.RawSetString("lines", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 0 { // a file's lines
			// gopher-lua's io.lines returns nothing for a file it cannot
			// open; Lua's raises, naming the file.
			path := bind.Args{L: L, Fn: "lines"}.CheckString(1)
			f, err := s.openFile(path, os.O_RDONLY, 0)
			if err != nil {
				bind.Args{L: L, Fn: "lines"}.Raise(1, "%s", fileError(path, err))
			}
			f.Close()
			L.Push(origLines)
			L.Insert(origLines, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}
		if input != lua.LValue(stdin) { // the lines of the file io.input chose
			file := input
			L.Push(L.NewFunction(func(L *lua.LState) int {
				L.Push(L.GetField(file, "read"))
				L.Push(file)
				L.Call(1, 1)
				if L.Get(-1) == lua.LNil {
					return 0 // as Lua's iterator ends: no value
				}
				return 1
			}))
			return 1
		}
		return lines.GFunction(L)
	}))
	stdin.Value = &stream{name: "stdin"}
	mt := L.NewTable()
	mt.RawSetString("__index", L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"read":  func(L *lua.LState) int { return s.readStdin(L, 2, "read") },
		"lines": lines.GFunction,
		"close": func(L *lua.LState) int {
			L.Push(lua.LNil)
			L.Push(lua.LString("cannot close standard file"))
			return 2
		},
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("file (stdin)"))
		return 1
	}))
	mt.RawSetString("__gc", L.NewFunction(streamGC))
	stdin.Metatable = mt
	iolib.RawSetString("stdin", stdin)

	// io.read and io.lines read the default input file: io.stdin until
	// io.input names another.
	iolib.RawSetString("input", defaultFileFunc(L, iolib.RawGetString("input"), &input,
		func(ud *lua.LUserData) bool { return ud == stdin }))
	iolib.RawSetString("read", L.NewFunction(func(L *lua.LState) int {
		if input == lua.LValue(stdin) {
			return s.readStdin(L, 1, "read")
		}
		L.Insert(input, 1)
		L.Insert(L.GetField(input, "read"), 1)
		L.Call(L.GetTop()-1, lua.MultRet)
		return L.GetTop()
	}))
}

// readFormat is one of io.read's formats.
type readFormat struct {
	kind byte // 'l' line, 'L' line with its end, 'a' all, 'n' number, 'b' bytes
	n    int
}

func parseFormats(a bind.Args, from int) []readFormat {
	L := a.L
	if L.GetTop() < from {
		return []readFormat{{kind: 'l'}}
	}
	var out []readFormat
	for i := from; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			out = append(out, readFormat{kind: 'b', n: a.IntIn(i, v, "format", 0, 1<<30)})
		case lua.LString:
			f := strings.TrimPrefix(string(v), "*")
			if f != "" && strings.ContainsRune("lLan", rune(f[0])) {
				out = append(out, readFormat{kind: f[0]})
				continue
			}
			a.Raise(i, "invalid format %s", bind.Describe(v))
		default:
			a.Raise(i, "invalid format %s", bind.Describe(v))
		}
	}
	return out
}

// readStdin is io.read on standard input, formats from argument from on.
func (s *Session) readStdin(L *lua.LState, from int, fn string) int {
	formats := parseFormats(bind.Args{L: L, Fn: fn, Base: from - 1}, from)
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	in := s.stdin
	var (
		vals   []lua.LValue
		failed error
	)
	read := func() (undo func()) {
		if err := in.turn.Ask().WaitUntil(ctx, time.Time{}); err != nil {
			failed = err
			return nil
		}
		defer in.turn.Unlock()
		var raw []byte // what was taken, to give back if the caller is stopped
		defer func() { undo = func() { in.unread(raw) } }()
		for _, f := range formats {
			v, took, err := in.read(ctx, f)
			raw = append(raw, took...)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					failed = err
				}
				vals = append(vals, lua.LNil)
				return
			}
			vals = append(vals, v)
		}
		return
	}
	s.block(L, read)
	raiseIfDone(L, ctx)
	if errors.Is(failed, procmem.ErrNoMemory) {
		L.Error(lua.LString(failed.Error()), 0) // raised, as a failed allocation
	}
	if failed != nil {
		return bind.Fail(L, failed.Error())
	}
	return pushAll(L, vals)
}

// readAllStdin reads the rest of standard input, for loadfile() and
// dofile() of stdin.
func (s *Session) readAllStdin(L *lua.LState) (string, error) {
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	var (
		all lua.LValue
		err error
	)
	s.block(L, func() func() {
		if err = s.stdin.turn.Ask().WaitUntil(ctx, time.Time{}); err != nil {
			return nil
		}
		defer s.stdin.turn.Unlock()
		var raw []byte
		all, raw, err = s.stdin.read(ctx, readFormat{kind: 'a'})
		return func() { s.stdin.unread(raw) }
	})
	raiseIfDone(L, ctx)
	if err != nil {
		return "", err
	}
	return string(all.(lua.LString)), nil
}

// unread puts raw back in front of what is left to read.
func (in *stdinReader) unread(raw []byte) {
	if len(raw) == 0 {
		return
	}
	in.mu.Lock()
	in.buf = append(append([]byte(nil), raw...), in.buf...)
	in.seen = 0
	in.mu.Unlock()
}

// read reads one format, waiting for more input as it needs; io.EOF when
// there is nothing to read, ctx's error when it ended first (what was read
// stays for the next read). It also returns the bytes it took, for unread.
// The caller holds the turn.
func (in *stdinReader) read(ctx context.Context, f readFormat) (v lua.LValue, took []byte, err error) {
	for {
		in.mu.Lock()
		// What is taken becomes a string, a copy: the budget is asked
		// for it first.
		if len(in.buf) >= procmem.CheckMin {
			if noMem := procmem.Check(int64(len(in.buf))); noMem != nil {
				in.mu.Unlock()
				return nil, took, noMem
			}
		}
		before := in.buf
		v, ok := in.take(f)
		// took shares before's array: buf only ever grows past its own
		// end, never into what was taken.
		took = before[:len(before)-len(in.buf)]
		err, filled := in.err, in.filled
		if !ok && err == nil && !in.pumping {
			// The next read may grow buf to twice its size: the memory
			// budget is asked first, and what was read stays.
			if cap(in.buf)-len(in.buf) < pumpChunk {
				if noMem := procmem.Check(int64(2*cap(in.buf) + pumpChunk)); noMem != nil {
					in.mu.Unlock()
					return nil, took, noMem
				}
			}
			in.pumping = true
			filled = make(chan struct{})
			in.filled = filled
			go in.pump(filled)
		}
		in.mu.Unlock()
		if ok && v == nil {
			if err == nil || errors.Is(err, io.EOF) {
				return nil, took, io.EOF
			}
			return nil, took, err
		}
		if ok {
			return v, took, nil
		}
		if err != nil {
			return nil, nil, err
		}
		select {
		case <-filled:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// pumpChunk is the most one read of the underlying reader takes: a pipe's
// buffer.
const pumpChunk = 64 << 10

// pump reads once from the underlying reader into buf.
func (in *stdinReader) pump(filled chan struct{}) {
	chunk := make([]byte, pumpChunk)
	n, err := in.src.Read(chunk)
	in.mu.Lock()
	in.buf = append(in.buf, chunk[:n]...)
	if err != nil {
		in.err = err
	}
	in.pumping = false
	in.mu.Unlock()
	close(filled)
}

// take takes what f asks for from buf, if it is there (or the input has
// ended); ok is false when more is needed. v is nil at the end of input.
// in.mu is held.
func (in *stdinReader) take(f readFormat) (v lua.LValue, ok bool) {
	end := in.err != nil
	if f.kind != 'l' && f.kind != 'L' {
		in.seen = 0
	}
	switch f.kind {
	case 'l', 'L':
		// The front already searched is not searched again as more
		// comes: a long line costs its length, not its square.
		i := bytes.IndexByte(in.buf[in.seen:], '\n')
		if i < 0 {
			in.seen = len(in.buf)
			if !end || len(in.buf) == 0 {
				return nil, end
			}
			in.seen = 0
			line := string(in.buf) // the last line, without an end of line
			in.buf = nil
			return lua.LString(line), true
		}
		i += in.seen
		in.seen = 0
		line := in.buf[:i+1]
		if f.kind == 'l' {
			line = line[:i]
		}
		in.buf = in.buf[i+1:]
		return lua.LString(line), true
	case 'a':
		if !end {
			return nil, false
		}
		all := string(in.buf)
		in.buf = nil
		return lua.LString(all), true
	case 'n':
		start := 0
		for start < len(in.buf) && isSpace(in.buf[start]) {
			start++
		}
		stop := start
		for stop < len(in.buf) && !isSpace(in.buf[stop]) {
			stop++
		}
		if stop == len(in.buf) && !end {
			return nil, false
		}
		word := string(in.buf[start:stop])
		in.buf = in.buf[stop:]
		if word == "" {
			return nil, true
		}
		n, err := strconv.ParseFloat(word, 64)
		if err != nil {
			return lua.LNil, true
		}
		return lua.LNumber(n), true
	}
	if len(in.buf) >= f.n && (f.n > 0 || len(in.buf) > 0) {
		out := string(in.buf[:f.n])
		in.buf = in.buf[f.n:]
		return lua.LString(out), true
	}
	if !end {
		return nil, false
	}
	if len(in.buf) == 0 {
		return nil, true
	}
	out := string(in.buf)
	in.buf = nil
	return lua.LString(out), true
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// shellInput is standard input as Lua sees it at the shell's prompt.
type shellInput struct{}

// Read fails: the shell's line editor owns standard input.
func (shellInput) Read([]byte) (int, error) { return 0, ErrShellInput }

// ShellInput is the Stdin to give a session whose standard input is the
// shell's: reading it from Lua fails with ErrShellInput.
var ShellInput io.Reader = shellInput{}
