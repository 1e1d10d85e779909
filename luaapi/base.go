package luaapi

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openBase adapts the standard library to a session: output goes to the
// session's writers, os.exit unwinds instead of killing the process, and
// coroutines stay interruptible. Then it registers sockshell's functions.
func (s *Session) openBase() {
	L := s.L
	L.SetGlobal("print", L.NewFunction(s.lPrint))
	L.SetGlobal("error", L.NewFunction(lError))
	s.openStreams()
	os := L.GetGlobal("os").(*lua.LTable)
	os.RawSetString("exit", L.NewFunction(s.lExit))
	co := L.GetGlobal("coroutine").(*lua.LTable)
	create := co.RawGetString("create")
	co.RawSetString("create", L.NewFunction(func(L *lua.LState) int { return s.coCreate(L, create) }))
	co.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int { return s.coWrap(L, create) }))
	for _, lib := range libraries {
		if lib.methods {
			continue
		}
		for _, f := range lib.funcs {
			fn := f.fn
			lf := L.NewFunction(func(L *lua.LState) int { return fn(s, L) })
			s.setGlobalPath(f.doc.Name, lf)
			s.docsByFn[lf] = f.doc
		}
	}
}

// setGlobalPath sets a global, or a field of a global table for a dotted
// name ("bit32.band"), making the table if needed.
func (s *Session) setGlobalPath(name string, v lua.LValue) {
	dot := strings.IndexByte(name, '.')
	if dot < 0 {
		s.L.SetGlobal(name, v)
		return
	}
	t, ok := s.L.GetGlobal(name[:dot]).(*lua.LTable)
	if !ok {
		t = s.L.NewTable()
		s.L.SetGlobal(name[:dot], t)
	}
	t.RawSetString(name[dot+1:], v)
}

// lError is error(message [, level]) with Lua's levels: gopher-lua's
// counts the frame of error itself, so that its level 2 names the same
// place as level 1 instead of the caller of the function that raised.
func lError(L *lua.LState) int {
	if L.GetTop() == 0 {
		args{L: L, fn: "error"}.raise(1, "value expected")
	}
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	if msg, ok := obj.(lua.LString); ok && level > 0 {
		if pos := L.Where(level); pos != "" && !strings.HasPrefix(pos, "[G]") {
			obj = lua.LString(pos + " " + string(msg))
		}
	}
	L.Error(obj, 0)
	return 0
}

// lPrint is print writing to the session's stdout, one Write per call so
// that lines from different sources never interleave mid-line.
func (s *Session) lPrint(L *lua.LState) int {
	n := L.GetTop()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(s.ToString(L.Get(i)))
	}
	b.WriteByte('\n')
	io.WriteString(s.stdout, b.String())
	return 0
}

// lExit is os.exit([code]): it records the code and cancels the session so
// that the chunk unwinds (pcall cannot stop that); the caller of Session.Call
// gets an *ExitError, closes the sockets and restores the terminal.
func (s *Session) lExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case *lua.LNilType:
	default:
		code = args{L: L, fn: "exit"}.intIn(1, v, "code", -1<<31, 1<<31-1)
	}
	s.exitCode = &code
	s.intr.cancel(errExit)
	s.cancelRoot()
	L.RaiseError("exit")
	return 0
}

// coCreate is coroutine.create giving the new thread the creating thread's
// context: the session's for the main thread, a task's for a task.
// gopher-lua would give it a context derived from that one, which an
// interrupt would cancel for good; the session's own context is re-armed
// after each interrupt instead.
func (s *Session) coCreate(L *lua.LState, create lua.LValue) int {
	fn := L.CheckFunction(1)
	ctx := L.RemoveContext() // so that no derived context is made
	err := L.CallByParam(lua.P{Fn: create, NRet: 1, Protect: true}, fn)
	L.SetContext(ctx)
	if err != nil {
		L.RaiseError("%s", err)
	}
	L.ToThread(-1).SetContext(ctx)
	return 1
}

// newThread makes a thread that runs under ctx. gopher-lua's NewThread
// would derive a context from L's; none must be derived from the session's
// interrupter, which is re-armed after each interrupt.
func newThread(L *lua.LState, ctx context.Context) *lua.LState {
	prev := L.RemoveContext()
	th, _ := L.NewThread()
	L.SetContext(prev)
	th.SetContext(ctx)
	return th
}

// coWrap is coroutine.wrap over coCreate.
func (s *Session) coWrap(L *lua.LState, create lua.LValue) int {
	s.coCreate(L, create)
	th := L.ToThread(-1)
	resume := L.GetField(L.GetGlobal("coroutine"), "resume")
	L.Push(L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		L.Push(resume)
		L.Push(th)
		for i := 1; i <= n; i++ {
			L.Push(L.Get(i))
		}
		L.Call(n+1, lua.MultRet)
		if L.Get(n+1) == lua.LFalse {
			L.Error(L.Get(n+2), 0)
		}
		return L.GetTop() - n - 1
	}))
	return 1
}

var shellFuncs = []libFunc{
	{&Doc{
		Name:    "help",
		Forms:   []string{"help([fn])"},
		Summary: "Prints what a function does, how to call it and an example; with no argument, lists every function.",
		Args: []Arg{
			{"fn", "a function (`help(listen)`), its name (`help \"recvfrom\"`) or a method name (`help \"socket:close\"`)"},
		},
		Returns: "nothing; it prints.",
		Errors:  "An unknown name prints what is known.",
		Example: `help(sendto)
help("settimeout")`,
	}, (*Session).lHelp},
}

func (s *Session) lHelp(L *lua.LState) int {
	var d *Doc
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
		io.WriteString(s.stdout, s.helpIndex())
		return 0
	case lua.LString:
		if d = s.pluginDocs[string(v)]; d == nil {
			d = Lookup(string(v))
		}
	default:
		d = s.docsByFn[v]
	}
	if d == nil {
		fmt.Fprintf(s.stdout, "no help for %s; help() lists every function\n", describe(L.Get(1)))
		return 0
	}
	io.WriteString(s.stdout, d.Text())
	return 0
}

func (s *Session) helpIndex() string {
	var b strings.Builder
	for _, sec := range Sections() {
		fmt.Fprintf(&b, "%s:\n", sec.Title)
		docs := append([]*Doc(nil), sec.Docs...)
		sort.SliceStable(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
		for _, d := range docs {
			fmt.Fprintf(&b, "  %-34s %s\n", d.Forms[0], firstSentence(d.Summary))
		}
	}
	b.WriteString("help(fn) or help \"name\" shows one in full.\n")
	return b.String()
}

func firstSentence(s string) string {
	s = unmark(s)
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
