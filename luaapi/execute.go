package luaapi

import (
	"context"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
)

// openExecute makes os.execute a blocking call like the session's others:
// the command runs while the other tasks go on, Ctrl-C (or the task's
// cancel) ends its wait and the program, and what the session printed is
// written out before the program prints; io.popen writes it out too.
func (s *Session) openExecute() {
	L := s.main
	L.GetGlobal("os").(*lua.LTable).RawSetString("execute", L.NewFunction(s.lExecute))
	iolib := L.GetGlobal("io").(*lua.LTable)
	popen := iolib.RawGetString("popen").(*lua.LFunction).GFunction
	iolib.RawSetString("popen", L.NewFunction(func(L *lua.LState) int {
		bind.Args{L: L, Fn: "popen"}.Str(1, L.Get(1), "command")
		flush(s.stdout)
		flush(s.stderr)
		return popen(L)
	}))
}

// SetChildTerminal gives the session a function it calls before a program
// it runs (os.execute) takes the terminal, and whose result it calls once
// the program has ended: the shell sets the terminal as programs expect it
// (echo, line editing) and then back. nil: the terminal is left as it is.
func (s *Session) SetChildTerminal(f func() (restore func())) {
	s.childTerminalMu.Lock()
	s.childTerminal = f
	s.childTerminalMu.Unlock()
}

func (s *Session) lExecute(L *lua.LState) int {
	if L.GetTop() == 0 || L.Get(1) == lua.LNil {
		L.Push(lua.LNumber(1)) // there is a shell
		return 1
	}
	command := bind.Args{L: L, Fn: "execute"}.Str(1, L.Get(1), "command")
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	flush(s.stdout)
	flush(s.stderr)
	s.childTerminalMu.Lock()
	lease := s.childTerminal
	s.childTerminalMu.Unlock()
	if lease != nil {
		defer lease()()
	}
	path, argv := lua.SystemCommand(command)
	proc, err := os.StartProcess(path, argv, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		L.Push(lua.LNumber(lua.SystemNotRun))
		return 1
	}
	var ps *os.ProcessState
	s.block(L, func() func() {
		stop := context.AfterFunc(ctx, func() { proc.Kill() })
		ps, err = proc.Wait()
		stop()
		return nil
	})
	raiseIfDone(L, ctx)
	L.Push(lua.LNumber(lua.SystemStatus(ps, err)))
	return 1
}
