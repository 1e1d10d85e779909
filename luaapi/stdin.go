package luaapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// ErrShellInput is what reading standard input gives at the shell's prompt,
// where the line editor owns it.
var ErrShellInput = errors.New("standard input belongs to the shell here")

// stdinReader is the session's standard input. Reads wait like any I/O:
// a task reading a line lets the others run.
type stdinReader struct {
	r    *bufio.Reader
	turn chan struct{}
}

// openStdin replaces io.read, io.lines and io.stdin with versions that
// read the session's standard input without blocking other tasks.
func (s *Session) openStdin(in io.Reader) {
	L := s.L
	s.stdin = &stdinReader{r: bufio.NewReader(in), turn: make(chan struct{}, 1)}
	iolib := L.GetGlobal("io").(*lua.LTable)
	origLines := iolib.RawGetString("lines")
	read := L.NewFunction(func(L *lua.LState) int { return s.readStdin(L, 1, "read") })
	iolib.RawSetString("read", read)
	lines := L.NewFunction(func(L *lua.LState) int {
		L.Push(L.NewFunction(func(L *lua.LState) int {
			L.SetTop(0)
			return s.readStdin(L, 1, "lines")
		}))
		return 1
	})
	iolib.RawSetString("lines", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 0 { // a file's lines
			L.Push(origLines)
			L.Insert(origLines, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}
		return lines.GFunction(L)
	}))
	stdin := L.NewUserData()
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
	stdin.Metatable = mt
	iolib.RawSetString("stdin", stdin)
}

// readFormat is one of io.read's formats.
type readFormat struct {
	kind byte // 'l' line, 'L' line with its end, 'a' all, 'n' number, 'b' bytes
	n    int
}

func parseFormats(a args, from int) []readFormat {
	L := a.L
	if L.GetTop() < from {
		return []readFormat{{kind: 'l'}}
	}
	var out []readFormat
	for i := from; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			out = append(out, readFormat{kind: 'b', n: a.intIn(i, v, "format", 0, 1<<30)})
		case lua.LString:
			f := strings.TrimPrefix(string(v), "*")
			if f != "" && strings.ContainsRune("lLan", rune(f[0])) {
				out = append(out, readFormat{kind: f[0]})
				continue
			}
			a.raise(i, "invalid format %s", describe(v))
		default:
			a.raise(i, "invalid format %s", describe(v))
		}
	}
	return out
}

// readStdin is io.read on standard input, formats from argument from on.
func (s *Session) readStdin(L *lua.LState, from int, fn string) int {
	formats := parseFormats(args{L: L, fn: fn, base: from - 1}, from)
	in := s.stdin
	return s.wait(L, fn, func(ctx context.Context) outcome {
		if err := takeTurnCtx(ctx, in.turn); err != nil {
			return results(func() []lua.LValue { return []lua.LValue{lua.LNil, lua.LString(err.Error())} })
		}
		defer func() { <-in.turn }()
		var vals []lua.LValue
		var failed error
		for _, f := range formats {
			v, err := in.read(f)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					failed = err
				}
				vals = append(vals, lua.LNil)
				break
			}
			vals = append(vals, v)
		}
		return results(func() []lua.LValue {
			if failed != nil {
				return []lua.LValue{lua.LNil, lua.LString(failed.Error())}
			}
			return vals
		})
	})
}

// read reads one format; io.EOF when there is nothing to read.
func (in *stdinReader) read(f readFormat) (lua.LValue, error) {
	switch f.kind {
	case 'l', 'L':
		line, err := in.r.ReadString('\n')
		if err != nil && line == "" {
			return nil, err
		}
		if f.kind == 'l' {
			line = strings.TrimSuffix(line, "\n")
		}
		return lua.LString(line), nil
	case 'a':
		all, err := io.ReadAll(in.r)
		return lua.LString(all), err
	case 'n':
		var word string
		for {
			b, err := in.r.ReadByte()
			if err != nil {
				break
			}
			if strings.ContainsRune(" \t\r\n", rune(b)) {
				if word == "" {
					continue
				}
				in.r.UnreadByte()
				break
			}
			word += string(b)
		}
		if word == "" {
			return nil, io.EOF
		}
		n, err := strconv.ParseFloat(word, 64)
		if err != nil {
			return lua.LNil, nil
		}
		return lua.LNumber(n), nil
	}
	if f.n == 0 {
		if _, err := in.r.Peek(1); err != nil {
			return nil, err
		}
		return lua.LString(""), nil
	}
	buf := make([]byte, f.n)
	n, err := io.ReadFull(in.r, buf)
	if n == 0 {
		return nil, err
	}
	return lua.LString(buf[:n]), nil
}

// takeTurnCtx waits for a turn on ch, or for ctx to end.
func takeTurnCtx(ctx context.Context, ch chan struct{}) error {
	select {
	case ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shellInput is standard input as Lua sees it at the shell's prompt.
type shellInput struct{}

func (shellInput) Read([]byte) (int, error) { return 0, ErrShellInput }

// ShellInput is the Stdin to give a session whose standard input is the
// shell's: reading it from Lua fails with ErrShellInput.
var ShellInput io.Reader = shellInput{}
