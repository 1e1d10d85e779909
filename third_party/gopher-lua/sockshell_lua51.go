package lua

// sockshell: functions of Lua 5.1's standard library that upstream left
// out or made differently. See README.sockshell.md.

import (
	"os"
	"runtime"
	"runtime/metrics"
	"syscall"
)

// checkOption is luaL_checkoption: the index in options of argument n, or
// of def when the argument is absent or nil.
func checkOption(L *LState, n int, def string, options []string) int {
	str := def
	if L.Get(n) != LNil {
		str = L.CheckString(n)
	}
	for i, v := range options {
		if v == str {
			return i
		}
	}
	L.ArgError(n, "invalid option '"+str+"'")
	return 0
}

var gcOptions = []string{"stop", "restart", "collect", "count", "step", "setpause", "setstepmul"}

// heapKB is the memory the Go heap's objects take, in kilobytes: what
// collectgarbage("count") and gcinfo() report.
func heapKB() float64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(sample[0].Value.Uint64()) / 1024
}

// baseCollectGarbage is collectgarbage([opt [, arg]]) with Lua 5.1's
// options. Go's collector is shared by the whole process and cannot be
// stopped for one Lua state: "stop" and "restart" change nothing, "step"
// runs a whole collection, and "setpause" and "setstepmul" keep their
// values only to return them, as Lua does, the next time.
func baseCollectGarbage(L *LState) int {
	switch gcOptions[checkOption(L, 1, "collect", gcOptions)] {
	case "count":
		L.Push(LNumber(heapKB()))
	case "collect":
		L.collect()
		L.Push(LNumber(0))
	case "step":
		L.collect()
		L.Push(LTrue)
	case "setpause":
		old := L.G.gcPause
		L.G.gcPause = L.OptInt(2, 0)
		L.Push(LNumber(old))
	case "setstepmul":
		old := L.G.gcStepMul
		L.G.gcStepMul = L.OptInt(2, 0)
		L.Push(LNumber(old))
	default:
		L.Push(LNumber(0))
	}
	return 1
}

// collect runs a whole collection, after which the weak tables lose what
// only they held.
func (ls *LState) collect() {
	ls.ClearAboveTop()
	runtime.GC()
	ls.G.sweepWeakTables()
}

// baseGcInfo is Lua 5.0's gcinfo(), which Lua 5.1 keeps: the kilobytes in
// use, a whole number.
func baseGcInfo(L *LState) int {
	L.Push(LNumber(int(heapKB())))
	return 1
}

// tableForeach is table.foreach(t, f): f(k, v) for every pair, until f
// returns a value other than nil, which it returns.
func tableForeach(L *LState) int {
	t := L.CheckTable(1)
	f := L.CheckFunction(2)
	for k, v := t.Next(LNil); k != LNil; k, v = t.Next(k) {
		L.Push(f)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// tableForeachi is table.foreachi(t, f): f(i, t[i]) for i from 1 to #t,
// until f returns a value other than nil, which it returns.
func tableForeachi(L *LState) int {
	t := L.CheckTable(1)
	f := L.CheckFunction(2)
	n := t.Len()
	for i := 1; i <= n; i++ {
		L.Push(f)
		L.Push(LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

var localeCategories = []string{"all", "collate", "ctype", "monetary", "numeric", "time"}

// osSetLocale is os.setlocale([locale [, category]]) for a program that
// always runs in the C locale: a query, "C", "POSIX" and "" (the
// environment's, which a Go program does not take) give "C"; any other
// locale cannot be set, and gives nil.
func osSetLocale(L *LState) int {
	checkOption(L, 2, "all", localeCategories)
	switch L.Get(1) {
	case LNil, LString(""), LString("C"), LString("POSIX"):
		L.Push(LString("C"))
	default:
		L.CheckString(1)
		L.Push(LNil)
	}
	return 1
}

// osExecute is os.execute([command]): with no command, non-zero (there
// is a shell); else the command's status as C's system returns it (see
// SystemStatus).
func osExecute(L *LState) int {
	if L.GetTop() == 0 || L.Get(1) == LNil {
		L.Push(LNumber(1))
		return 1
	}
	cmd, args := SystemCommand(L.CheckString(1))
	process, err := os.StartProcess(cmd, args, &os.ProcAttr{
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		L.Push(LNumber(SystemNotRun))
		return 1
	}
	L.Push(LNumber(SystemStatus(process.Wait())))
	return 1
}

// SystemCommand is the program and its arguments (the program first)
// that run command as C's system does: /bin/sh -c command (cmd.exe /c on
// Windows).
func SystemCommand(command string) (path string, argv []string) {
	path, args := popenArgs(command)
	return path, append([]string{path}, args...)
}

// SystemNotRun is what system returns when the command could not be
// started: what the shell answers for a command it cannot find.
const SystemNotRun = 127 << 8

// SystemStatus is what C's system returns for a command that ended as ps
// tells (ps and err from its Wait): the exit code times 256, or the number
// of the signal that ended it; -1 when it could not be waited for.
func SystemStatus(ps *os.ProcessState, err error) int {
	if ps == nil || err != nil {
		return -1
	}
	if w, ok := ps.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	}); ok && w.Signaled() {
		return int(w.Signal())
	}
	return ps.ExitCode() << 8
}

// debugGetInfo51 is debug.getinfo([thread,] function or level [, what])
// with Lua 5.1's fields: what ("Lua", "C", "main", "tail"), source and
// short_src, currentline, linedefined and lastlinedefined (-1 for a Go
// function), nups, name and namewhat, func, and activelines ('L'). Level
// 0 is getinfo itself, 1 the function that called it.
func debugGetInfo51(L *LState) int {
	th, arg := debugThread(L)
	what := L.OptString(arg+2, "flnSu")
	var fn *LFunction
	var frame *callFrame
	switch v := L.Get(arg + 1).(type) {
	case *LFunction:
		fn = v
	case LNumber:
		level := int(v)
		dbg, ok := th.GetStack(level)
		if !ok {
			L.Push(LNil)
			return 1
		}
		if dbg.frame == nil {
			L.Push(tailCallTable(L, what, arg+2))
			return 1
		}
		frame, fn = dbg.frame, dbg.frame.Fn
	default:
		L.ArgError(arg+1, "function or level expected")
	}
	t := L.NewTable()
	for _, c := range what {
		switch c {
		case 'S':
			source, short, kind, first, last := "=[C]", "[C]", "C", -1, -1
			if !fn.IsG {
				p := fn.Proto
				short, source = p.SourceName, p.SourceName
				if p.Source != "" {
					source = p.Source
				}
				kind, first, last = "Lua", p.LineDefined, p.LastLineDefined
				if first == 0 {
					kind = "main"
				}
			}
			t.RawSetString("what", LString(kind))
			t.RawSetString("source", LString(source))
			t.RawSetString("short_src", LString(short))
			t.RawSetString("linedefined", LNumber(first))
			t.RawSetString("lastlinedefined", LNumber(last))
		case 'l':
			line := -1
			if frame != nil && !fn.IsG && frame.Pc > 0 {
				line = fn.Proto.DbgSourcePositions[frame.Pc-1]
			}
			t.RawSetString("currentline", LNumber(line))
		case 'u':
			t.RawSetString("nups", LNumber(len(fn.Upvalues)))
		case 'n':
			name, namewhat := "", ""
			if frame != nil && frame.TailCall == 0 {
				name, namewhat = th.calledName(frame)
			}
			if name != "" {
				t.RawSetString("name", LString(name))
			}
			t.RawSetString("namewhat", LString(namewhat))
		case 'f':
			t.RawSetString("func", fn)
		case 'L':
			if !fn.IsG {
				lines := L.NewTable()
				for _, line := range fn.Proto.DbgSourcePositions {
					lines.RawSetInt(line, LTrue)
				}
				t.RawSetString("activelines", lines)
			}
		default:
			L.ArgError(arg+2, "invalid option")
		}
	}
	L.Push(t)
	return 1
}

// calledName is how the caller of frame named the function it called, and
// what kind of name that is ("global", "local", "method", "field",
// "upvalue"), as Lua 5.1 finds them: from the instruction that put the
// function in the register the call used. "" when it is not known.
func (ls *LState) calledName(frame *callFrame) (string, string) {
	caller := frame.Parent
	if caller == nil || caller.Fn.IsG || caller.Pc == 0 {
		return "", ""
	}
	p := caller.Fn.Proto
	pc := caller.Pc - 1
	call := p.Code[pc]
	if op := opGetOpCode(call); op != OP_CALL && op != OP_TAILCALL && op != OP_TFORLOOP {
		return "", ""
	}
	reg := opGetArgA(call)
	for i := pc - 1; i >= 0; i-- {
		in := p.Code[i]
		if opGetArgA(in) != reg {
			if op := opGetOpCode(in); op == OP_JMP || op == OP_FORLOOP || op == OP_FORPREP {
				break // another path may set the register: unknown
			}
			continue
		}
		switch opGetOpCode(in) {
		case OP_GETGLOBAL:
			if s, ok := p.Constants[opGetArgBx(in)].(LString); ok {
				return string(s), "global"
			}
		case OP_GETTABLE, OP_GETTABLEKS:
			if c := opGetArgC(in); opIsK(c) {
				if s, ok := p.Constants[opIndexK(c)].(LString); ok {
					return string(s), "field"
				}
			}
		case OP_SELF:
			if c := opGetArgC(in); opIsK(c) {
				if s, ok := p.Constants[opIndexK(c)].(LString); ok {
					return string(s), "method"
				}
			}
		case OP_GETUPVAL:
			if b := opGetArgB(in); b < len(p.DbgUpvalues) {
				return p.DbgUpvalues[b], "upvalue"
			}
		case OP_MOVE:
			if name, ok := p.localName(opGetArgB(in), i); ok {
				return name, "local"
			}
		}
		return "", ""
	}
	if name, ok := p.localName(reg, pc); ok {
		return name, "local"
	}
	return "", ""
}

// localName is the name of the local variable in register reg at pc.
func (p *FunctionProto) localName(reg, pc int) (string, bool) {
	n := 0
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			if n == reg {
				if l.Name[0] == '(' {
					return "", false
				}
				return l.Name, true
			}
			n++
		}
	}
	return "", false
}

// tableMaxN51 is table.maxn(t) as Lua 5.1 has it: the largest positive
// number among all of t's keys, whole or not, in its array part or not;
// 0 when there is none.
func tableMaxN51(L *LState) int {
	t := L.CheckTable(1)
	max := LNumber(0)
	for k, _ := t.Next(LNil); k != LNil; k, _ = t.Next(k) {
		if n, ok := k.(LNumber); ok && n > max {
			max = n
		}
	}
	L.Push(max)
	return 1
}

// debugSetHook51 is debug.sethook([thread,] [hook, mask [, count]]). The VM
// has no hooks: removing the hook (no hook given) succeeds, as there is
// none, and setting one raises an error that says so, rather than the
// "attempt to call a nil value" a missing function would give.
func debugSetHook51(L *LState) int {
	first := 1
	if L.Get(1).Type() == LTThread {
		first = 2
	}
	if L.Get(first) == LNil {
		return 0
	}
	L.RaiseError("debug.sethook is not supported: the VM has no line, call or count hooks (a chunk is stopped by Ctrl-C or its context instead)")
	return 0
}

// debugGetHook51 is debug.gethook([thread]): no hook is ever set, so it
// returns what Lua 5.1 returns without one: nil, an empty mask and 0.
func debugGetHook51(L *LState) int {
	L.Push(LNil)
	L.Push(LString(""))
	L.Push(LNumber(0))
	return 3
}

// tailCallInfo is what debug.getinfo tells of a level lost to a tail call,
// as Lua 5.1's info_tailcall: no function, no lines, what "tail".
func tailCallInfo(dbg *Debug) {
	dbg.Name = ""
	dbg.What = "tail"
	dbg.Source = "=(tail call)"
	dbg.CurrentLine = -1
	dbg.LineDefined = -1
	dbg.LastLineDefined = -1
	dbg.NUpvalues = 0
}

// levelFrame is the frame at level (1 being the caller of the running Go
// function) for getfenv and setfenv, which raise as Lua 5.1's do for a
// level past the stack and for one lost to a tail call.
func levelFrame(L *LState, level int) *callFrame {
	dbg, ok := L.GetStack(level)
	if !ok {
		L.ArgError(1, "invalid level")
	}
	if dbg.frame == nil {
		L.RaiseError("no function environment for tail call at level %d", level)
	}
	return dbg.frame
}

// tailCallTable is debug.getinfo's table for a level lost to a tail call
// (Lua 5.1's info_tailcall): what "tail", source "=(tail call)", no
// lines, no upvalues, no name and no function. optArg is the argument
// number of the options, for the error of an invalid one.
func tailCallTable(L *LState, what string, optArg int) *LTable {
	var dbg Debug
	tailCallInfo(&dbg)
	t := L.NewTable()
	for _, c := range what {
		switch c {
		case 'S':
			t.RawSetString("what", LString(dbg.What))
			t.RawSetString("source", LString(dbg.Source))
			t.RawSetString("short_src", LString(dbg.Source[1:]))
			t.RawSetString("linedefined", LNumber(dbg.LineDefined))
			t.RawSetString("lastlinedefined", LNumber(dbg.LastLineDefined))
		case 'l':
			t.RawSetString("currentline", LNumber(dbg.CurrentLine))
		case 'u':
			t.RawSetString("nups", LNumber(0))
		case 'n':
			t.RawSetString("name", LString(""))
			t.RawSetString("namewhat", LString(""))
		case 'f', 'L':
		default:
			L.ArgError(optArg, "invalid option")
		}
	}
	return t
}

// debugThread is the thread a debug function's optional first argument
// names, and the number of arguments it takes (0 or 1), as Lua 5.1's
// getthread.
func debugThread(L *LState) (*LState, int) {
	if th, ok := L.Get(1).(*LState); ok {
		return th, 1
	}
	return L, 0
}

// debugGetRegistry51 is debug.getregistry(): the registry table, the one
// the RegistryIndex pseudo-index reaches from Go.
func debugGetRegistry51(L *LState) int {
	L.Push(L.G.Registry)
	return 1
}
