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
		runtime.GC()
		L.Push(LNumber(0))
	case "step":
		runtime.GC()
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
// is a shell); else the command's status as C's system returns it: the
// exit code times 256, or the number of the signal that ended it.
func osExecute(L *LState) int {
	if L.GetTop() == 0 || L.Get(1) == LNil {
		L.Push(LNumber(1))
		return 1
	}
	cmd, args := popenArgs(L.CheckString(1))
	process, err := os.StartProcess(cmd, append([]string{cmd}, args...), &os.ProcAttr{
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		L.Push(LNumber(127 << 8)) // what the shell answers for a command it cannot run
		return 1
	}
	ps, err := process.Wait()
	if err != nil {
		L.Push(LNumber(-1))
		return 1
	}
	if w, ok := ps.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	}); ok && w.Signaled() {
		L.Push(LNumber(int(w.Signal())))
		return 1
	}
	L.Push(LNumber(ps.ExitCode() << 8))
	return 1
}
