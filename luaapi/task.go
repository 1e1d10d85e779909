package luaapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// Task states, as task.status shows them.
const (
	taskReady     int32 = iota // made, or done waiting, and not yet running
	taskRunning                // its code runs now
	taskWaiting                // blocked in a call
	taskDone                   // returned
	taskFailed                 // raised an error
	taskCancelled              // ended by task:cancel(), Ctrl-C or the session's end
)

var statusNames = [...]string{"ready", "running", "waiting", "done", "failed", "cancelled"}

// errCancelled is the cause of a cancelled task's context.
var errCancelled = errors.New("cancelled")

// task is one spawned function, run on its own goroutine (see sched).
type task struct {
	id     int
	th     *lua.LState
	ctx    context.Context
	cancel context.CancelCauseFunc
	fn     *lua.LFunction // what it runs
	where  string         // where it was spawned, or the script bg runs
	handle *lua.LUserData // the Lua task object
	done   chan struct{}  // closed when the task ends
	status atomic.Int32

	ended     bool         // guarded by sched.mu
	results   []lua.LValue // the function's results, once done
	err       string       // the error, once failed
	traceback string       // where the error was raised

	interrupted atomic.Bool // stopped by InterruptTask (Ctrl-C)
	wait        waitState   // its blocking call
}

// setStatus changes a live task's status; an ended task's stays.
func (t *task) setStatus(st int32) {
	for {
		old := t.status.Load()
		if old >= taskDone && st < taskDone {
			return
		}
		if t.status.CompareAndSwap(old, st) {
			return
		}
	}
}
func (t *task) statusName() string { return statusNames[t.status.Load()] }

// taskClass is the metatable name of task objects.
const taskClass = "sockshell.task"

// openTasks makes the task metatable.
func (s *Session) openTasks() {
	L := s.main
	mt := L.NewTypeMetatable(taskClass)
	methods := s.methodTable(taskMethods)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		t := checkTask(bind.Args{L: L, Fn: "index", Base: 1}, 1)
		switch key := L.Get(2); key.String() {
		case "status":
			L.Push(lua.LString(t.statusName()))
		case "id":
			L.Push(lua.LNumber(t.id))
		default:
			L.Push(methods.RawGet(key))
		}
		return 1
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		t := checkTask(bind.Args{L: L, Fn: "tostring"}, 1)
		L.Push(lua.LString(fmt.Sprintf("task#%d{%s, %s}", t.id, t.statusName(), t.where)))
		return 1
	}))
}

func checkTask(a bind.Args, n int) *task {
	return bind.CheckUserdata[*task](a, n, "task", bind.Describe)
}

var taskFuncs = []libFunc{
	{&bind.Doc{
		Name:    "spawn",
		Forms:   []string{"spawn(fn, ...)"},
		Summary: "Runs `fn(...)` as a task: it goes on in the background while the shell takes more input or the script goes on. Every blocking call (`recvfrom`, `sleep`, `accept`, …) lets the other tasks run while it waits, wherever it is made: inside `pcall`, a metamethod, a `table.sort` comparator, a coroutine, a plugin loading.",
		Args: []bind.Arg{
			{Name: "fn", Meaning: "the function to run"},
			{Name: "...", Meaning: "its arguments"},
		},
		Returns: "a task: `t.status` is `\"ready\"`, `\"running\"`, `\"waiting\"`, `\"done\"`, `\"failed\"` or `\"cancelled\"`; `t:wait()` and `t:cancel()` manage it. A script ends when its last task has.",
		Errors:  "A non-function raises. An error inside the task is printed with its traceback and ends only that task.",
		Example: `local t = spawn(function(a, b) sleep(0.01) return a + b end, 1, 2)
print(t.status)  --> ready
print(t:wait())  --> 3`,
	}, (*Session).lSpawn},
	{&bind.Doc{
		Name:    "bg",
		Forms:   []string{"bg(script, ...)"},
		Summary: "Runs a script as a task, with `...` as its arguments (in its own `arg`), so that it goes on in the background: `bg(\"receiver\", 6000)`.",
		Args: []bind.Arg{
			{Name: "script", Meaning: "the path of a Lua file, or the name of a script built into sockshell (`\"receiver\"`, `\"sender\"`, …), as on the command line"},
			{Name: "...", Meaning: "its arguments: `arg[1]`, `arg[2]`, … and `...` in the script"},
		},
		Returns: "the task, named by its script: `task#2{waiting, receiver}`.",
		Errors:  "A file that cannot be read or compiled raises with the reason.",
		Example: `local path = os.tmpname()
local f = io.open(path, "w")
f:write("sleep(0.01) return 'ran with ' .. arg[1]")
f:close()
print(bg(path, "x"):wait())  --> ran with x
os.remove(path)`,
	}, (*Session).lBg},
	{&bind.Doc{
		Name:    "sleep",
		Forms:   []string{"sleep(seconds)"},
		Summary: "Waits `seconds`; other tasks run meanwhile. `sleep(0)` lets every task that is ready run first.",
		Args:    []bind.Arg{{Name: "seconds", Meaning: "how long, >= 0; fractions allowed; `math.huge` waits until stopped"}},
		Returns: "nothing.",
		Errors:  "A negative or non-number duration raises. Ctrl-C stops the wait.",
		Example: `sleep(0.01)
print("later")`,
	}, (*Session).lSleep},
	{&bind.Doc{
		Name:    "tasks",
		Forms:   []string{"tasks()"},
		Summary: "Lists the tasks that have not ended.",
		Returns: "a list of tasks, oldest first; each prints as `task#1{waiting, stdin:1}`.",
		Errors:  "None.",
		Example: `local t = spawn(sleep, 0.01)
for _, t in ipairs(tasks()) do print(t) end
t:wait()`,
	}, (*Session).lTasks},
}

var taskMethods = []libFunc{
	{&bind.Doc{
		Name:    "task:wait",
		Forms:   []string{"t:wait([timeout])"},
		Summary: "Waits for the task to end.",
		Args:    []bind.Arg{{Name: "timeout", Meaning: "seconds to wait at most (default: forever)"}},
		Returns: "the task function's results.",
		Errors:  "`nil, message` when the task failed (its error message), was cancelled (`\"cancelled\"`) or the timeout passed (`\"timeout\"`). Waiting for itself raises.",
		Example: `local t = spawn(function() error("boom", 0) end)
print(t:wait())  --> nil  boom`,
	}, method("wait", checkTask, (*task).waitLua)},
	{&bind.Doc{
		Name:    "task:cancel",
		Forms:   []string{"t:cancel()"},
		Summary: "Ends the task: a blocked call in it returns at once and its code stops.",
		Returns: "true if the task was alive, false if it had already ended.",
		Errors:  "None.",
		Example: `local t = spawn(sleep, 60)
print(t:cancel(), t.status)  --> true  cancelled`,
	}, method("cancel", checkTask, (*task).cancelLua)},
}

func (s *Session) lSpawn(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "spawn"}
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		a.Raise(1, "function expected, got %s", bind.Describe(L.Get(1)))
	}
	return s.spawn(L, fn, strings.TrimSuffix(L.Where(1), ":"))
}

// spawn starts fn with the arguments above it on the stack as a task
// named where: the place that spawned it, or the script bg runs.
func (s *Session) spawn(L *lua.LState, fn *lua.LFunction, where string) int {
	// A task holds its memory until it ends: a new one is refused while
	// a tenth of the budget is still free, which leaves the script room
	// to cancel the others.
	procmem.Reserve(L, procmem.Budget()/10)
	ctx, cancel := context.WithCancelCause(s.root)
	t := &task{
		th: newThread(L, luaContext{ctx}), ctx: ctx, cancel: cancel, fn: fn,
		where: where, done: make(chan struct{}),
	}
	if t.where == "" {
		t.where = "?"
	}
	ud := L.NewUserData()
	ud.Value = t
	ud.Metatable = L.GetTypeMetatable(taskClass)
	t.handle = ud
	s.sched.add(t)
	s.start(t, fn, argsFrom(L, 2))
	L.Push(ud)
	return 1
}

func argsFrom(L *lua.LState, from int) []lua.LValue {
	var out []lua.LValue
	for i := from; i <= L.GetTop(); i++ {
		out = append(out, L.Get(i))
	}
	return out
}

// start runs fn(args...) as task t on a goroutine of its own. Its place in
// the queue for the baton is taken now, so that tasks start in the order
// they were spawned.
func (s *Session) start(t *task, fn *lua.LFunction, args []lua.LValue) {
	sc := s.sched
	ticket := sc.baton.Ask()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ticket.Wait()
		sc.entered(t.th, t)
		defer sc.leave()
		th := t.th
		// A task's thread is never a coroutine: nobody may resume it.
		sc.running[th] = true
		defer delete(sc.running, th)
		th.Push(fn)
		for _, a := range args {
			th.Push(a)
		}
		err := th.PCall(len(args), lua.MultRet, s.onError)
		s.flushTrace(th)
		if err == nil {
			t.results = make([]lua.LValue, th.GetTop())
			for i := range t.results {
				t.results[i] = th.Get(i + 1)
			}
		}
		th.SetTop(0)
		s.finish(t, err)
	}()
}

// finish records how task t ended; err is what its function raised.
func (s *Session) finish(t *task, err error) {
	sc := s.sched
	switch {
	case err == nil:
		sc.end(t, taskDone)
	case s.exiting():
		sc.end(t, taskCancelled) // os.exit somewhere: the session ends
	case t.interrupted.Load():
		if sc.end(t, taskCancelled) {
			fmt.Fprintf(s.stderr, "task#%d (%s) interrupted\n", t.id, t.where)
		}
	case t.ctx.Err() != nil:
		sc.end(t, taskCancelled)
	default:
		e := s.luaError(t.th, err)
		t.err, t.traceback = e.Message, e.Traceback
		if p := t.fn.Proto; p != nil && p.LineDefined > 0 {
			// The task's function is the bottom of its thread, which
			// gopher-lua names as a script's main chunk.
			if i := strings.LastIndex(t.traceback, "in main chunk"); i >= 0 {
				t.traceback = t.traceback[:i] + fmt.Sprintf("in function <%s:%d>", p.SourceName, p.LineDefined) + t.traceback[i+len("in main chunk"):]
			}
		}
		if sc.end(t, taskFailed) {
			msg := fmt.Sprintf("task#%d (%s) failed: %s\n", t.id, t.where, t.err)
			if t.traceback != "" {
				msg += t.traceback + "\n"
			}
			fmt.Fprint(s.stderr, msg)
		}
	}
}

// Alive is the number of tasks that have not ended.
func (s *Session) Alive() int {
	list, _ := s.sched.alive()
	return len(list)
}

// Running describes the tasks that have not ended, one string each, as
// "task#1 (stdin:1) waiting": what the shell names before it leaves.
func (s *Session) Running() []string {
	list, _ := s.sched.alive()
	out := make([]string, len(list))
	for i, t := range list {
		out[i] = fmt.Sprintf("task#%d (%s) %s", t.id, t.where, t.statusName())
	}
	return out
}

// InterruptTask stops the task whose code is running now, if one is: what
// Ctrl-C at the prompt does when a task hogs the session. Any goroutine may
// call it. It reports whether a task was stopped.
func (s *Session) InterruptTask() bool {
	if t := s.sched.current.Load(); t != nil {
		t.interrupted.Store(true)
		t.cancel(ErrInterrupted)
		return true
	}
	return false
}

// block runs wait, which must not touch Lua, with the baton given back:
// other tasks run meanwhile. It is how every blocking call waits; see
// sched.block for undo.
func (s *Session) block(L *lua.LState, wait func() (undo func())) { s.sched.block(L, wait) }

func (s *Session) lBg(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "bg"}
	path := a.Name(1, L.Get(1), "script")
	fn, err := s.loadScriptChecked(path)
	if err != nil {
		L.RaiseError("%s", err)
	}
	// The script sees its own arg; its other globals are the session's.
	argv := L.NewTable()
	argv.RawSetInt(0, lua.LString(path))
	for i := 2; i <= L.GetTop(); i++ {
		argv.RawSetInt(i-1, lua.LString(L.ToString(i)))
	}
	env := L.NewTable()
	env.RawSetString("arg", argv)
	meta := L.NewTable()
	meta.RawSetString("__index", L.Get(lua.GlobalsIndex))
	meta.RawSetString("__newindex", L.Get(lua.GlobalsIndex))
	L.SetMetatable(env, meta)
	fn.Env = env
	L.SetTop(1)
	L.Replace(1, fn)
	for i := 1; i <= argv.Len(); i++ {
		L.Push(argv.RawGetInt(i))
	}
	return s.spawn(L, fn, path) // named by its script: task#2 (receiver)
}

func (s *Session) lSleep(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "sleep"}
	secs, ok := a.Seconds(1, L.Get(1), "seconds")
	if !ok {
		a.Raise(1, "seconds must be a number >= 0, got nil")
	}
	ctx := bind.Context(L)
	raiseIfDone(L, ctx)
	d := duration(secs)
	if d == 0 {
		s.sched.giveWay(L)
	} else {
		s.block(L, func() func() {
			var expired <-chan time.Time
			if d > 0 { // sock.Forever (math.huge) waits until stopped
				timer := time.NewTimer(d)
				defer timer.Stop()
				expired = timer.C
			}
			select {
			case <-expired:
			case <-ctx.Done():
			}
			return nil
		})
	}
	raiseIfDone(L, ctx)
	return 0
}

func (s *Session) lTasks(L *lua.LState) int {
	list := L.NewTable()
	alive, _ := s.sched.alive()
	rows := [][]string{{"TASK", "STATUS", "FROM"}}
	for _, t := range alive {
		list.Append(t.handle)
		rows = append(rows, []string{fmt.Sprintf("task#%d", t.id), t.statusName(), t.where})
	}
	text := "no tasks\n"
	if len(rows) > 1 {
		text = columns(rows)
	}
	L.Push(listing(L, list, text))
	return 1
}

// waitLua is t:wait([timeout]).
func (t *task) waitLua(s *Session, a bind.Args) int {
	L := a.L
	wait := time.Duration(-1)
	if secs, ok := a.Seconds(2, L.Get(2), "timeout"); ok {
		wait = duration(secs)
	}
	if s.sched.holder == t || t.th == L {
		a.Raise(1, "a task cannot wait for itself")
	}
	ctx := bind.Context(L)
	select {
	case <-t.done:
		return pushAll(L, t.outcome())
	default:
	}
	raiseIfDone(L, ctx)
	ended := false
	s.block(L, func() func() {
		var expired <-chan time.Time
		if wait >= 0 {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			expired = timer.C
		}
		select {
		case <-t.done:
			ended = true
		case <-expired:
		case <-ctx.Done():
		}
		return nil
	})
	raiseIfDone(L, ctx)
	if !ended {
		return bind.Fail(L, "timeout")
	}
	return pushAll(L, t.outcome())
}

// outcome is what wait returns for an ended task.
func (t *task) outcome() []lua.LValue {
	switch t.status.Load() {
	case taskDone:
		return t.results
	case taskCancelled:
		return []lua.LValue{lua.LNil, lua.LString("cancelled")}
	}
	return []lua.LValue{lua.LNil, lua.LString(t.err)}
}

// cancelLua is t:cancel().
func (t *task) cancelLua(s *Session, a bind.Args) int {
	L := a.L
	if s.sched.holder == t {
		// A task cancelling itself stops at its next instruction.
		t.cancel(errCancelled)
		L.Push(lua.LTrue)
		return 1
	}
	// Another task ends now; its goroutine unwinds when it next runs, and
	// what its call had read goes back first.
	ended := s.sched.end(t, taskCancelled)
	t.wait.reclaim()
	L.Push(lua.LBool(ended))
	return 1
}
