package luaapi

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Tasks are Lua coroutines on the session's one state, run by a scheduler
// on the goroutine that owns the state, as Nmap's NSE and OpenResty's
// cosockets run theirs. A blocking call (recvfrom, sleep, task:wait, …)
// first tries to finish at once; when it must wait, its I/O runs on a
// goroutine that reports plain Go values back, and meanwhile:
//
//   - inside a task, the call yields WAIT; the prelude's pcall and coroutine
//     functions pass that up to the task, and the scheduler resumes the task
//     with the results when they come;
//   - outside any task, the call waits where it is, running the scheduler
//     until its own results come, so tasks go on meanwhile.

//go:embed prelude.lua
var preludeSource string

// Task states, as task.status shows them.
const (
	taskReady     = "ready"     // made, or woken, and not yet resumed
	taskRunning   = "running"   // its code runs now
	taskWaiting   = "waiting"   // blocked in a call
	taskDone      = "done"      // returned
	taskFailed    = "failed"    // raised an error
	taskCancelled = "cancelled" // ended by task:cancel()
)

// task is one spawned function.
type task struct {
	id        int
	th        *lua.LState
	ctx       context.Context
	cancel    context.CancelFunc
	status    string
	where     string         // where it was spawned, for tostring
	resumeArg []lua.LValue   // what the next resume passes
	results   []lua.LValue   // the function's results, once done
	err       string         // the error, once failed
	traceback string         // where the error was raised
	done      chan struct{}  // closed when the task ends
	handle    *lua.LUserData // the Lua task object

	interrupted atomic.Bool // stopped by InterruptTask (Ctrl-C)
}

// scheduler runs a session's tasks.
type scheduler struct {
	tasks   []*task // alive, in spawn order
	byTh    map[*lua.LState]*task
	ready   []*task
	events  chan func() // results of waits, applied on the owner goroutine
	current atomic.Pointer[task]
	nextID  int
	wait    lua.LValue // the WAIT marker
	start   lua.LValue // the prelude's task body
}

// taskClass is the metatable name of task objects.
const taskClass = "sockshell.task"

// openTasks loads the prelude and makes the task metatable.
func (s *Session) openTasks() {
	L := s.L
	s.sched = &scheduler{byTh: map[*lua.LState]*task{}, events: make(chan func(), 64)}
	marker := L.NewUserData()
	marker.Value = "WAIT"
	s.sched.wait = marker
	fn, err := s.Compile(preludeSource, "=prelude")
	if err != nil {
		panic(err)
	}
	L.Push(fn)
	L.Push(marker)
	L.Push(L.GetField(L.GetGlobal("coroutine"), "create"))
	L.Call(2, 1)
	s.sched.start = L.Get(-1)
	L.Pop(1)

	mt := L.NewTypeMetatable(taskClass)
	methods := L.NewTable()
	for _, f := range taskMethods {
		fn := f.fn
		lf := L.NewFunction(func(L *lua.LState) int { return fn(s, L) })
		methods.RawSetString(f.doc.Name[len("task:"):], lf)
		s.docsByFn[lf] = f.doc
	}
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		t := checkTask(args{L: L, fn: "index", base: 1}, 1)
		switch key := L.Get(2); key.String() {
		case "status":
			L.Push(lua.LString(t.status))
		case "id":
			L.Push(lua.LNumber(t.id))
		default:
			L.Push(methods.RawGet(key))
		}
		return 1
	}))
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		t := checkTask(args{L: L, fn: "tostring"}, 1)
		L.Push(lua.LString(fmt.Sprintf("task#%d{%s, %s}", t.id, t.status, t.where)))
		return 1
	}))
}

func checkTask(a args, n int) *task {
	if ud, ok := a.L.Get(n).(*lua.LUserData); ok {
		if t, ok := ud.Value.(*task); ok {
			return t
		}
	}
	a.raise(n, "task expected, got %s", describe(a.L.Get(n)))
	return nil
}

var taskFuncs = []libFunc{
	{&Doc{
		Name:    "spawn",
		Forms:   []string{"spawn(fn, ...)"},
		Summary: "Runs `fn(...)` as a task: it goes on in the background while the shell takes more input or the script goes on. Inside a task every blocking call (`recvfrom`, `sleep`, `accept`, …) lets the other tasks run while it waits.",
		Args: []Arg{
			{"fn", "the function to run"},
			{"...", "its arguments"},
		},
		Returns: "a task: `t.status` is `\"ready\"`, `\"running\"`, `\"waiting\"`, `\"done\"`, `\"failed\"` or `\"cancelled\"`; `t:wait()` and `t:cancel()` manage it. A script ends when its last task has.",
		Errors:  "A non-function raises. An error inside the task is printed with its traceback and ends only that task.",
		Example: `local t = spawn(function(a, b) sleep(0.01) return a + b end, 1, 2)
print(t.status)  --> ready
print(t:wait())  --> 3`,
	}, (*Session).lSpawn},
	{&Doc{
		Name:    "bg",
		Forms:   []string{"bg(script, ...)"},
		Summary: "Runs a script file as a task, with `...` as its arguments (in its own `arg`), so that it goes on in the background: `bg(\"scripts/receiver.lua\", 6000)`.",
		Args: []Arg{
			{"script", "the path of a Lua file"},
			{"...", "its arguments: `arg[1]`, `arg[2]`, … and `...` in the script"},
		},
		Returns: "the task.",
		Errors:  "A file that cannot be read or compiled raises with the reason.",
		Example: `local path = os.tmpname()
local f = io.open(path, "w")
f:write("sleep(0.01) return 'ran with ' .. arg[1]")
f:close()
print(bg(path, "x"):wait())  --> ran with x
os.remove(path)`,
	}, (*Session).lBg},
	{&Doc{
		Name:    "sleep",
		Forms:   []string{"sleep(seconds)"},
		Summary: "Waits `seconds`; other tasks run meanwhile.",
		Args:    []Arg{{"seconds", "how long, >= 0; fractions allowed"}},
		Returns: "nothing.",
		Errors:  "A negative or non-number duration raises. Ctrl-C stops the wait.",
		Example: `sleep(0.01)
print("later")`,
	}, (*Session).lSleep},
	{&Doc{
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
	{&Doc{
		Name:    "task:wait",
		Forms:   []string{"t:wait([timeout])"},
		Summary: "Waits for the task to end.",
		Args:    []Arg{{"timeout", "seconds to wait at most (default: forever)"}},
		Returns: "the task function's results.",
		Errors:  "`nil, message` when the task failed (its error message), was cancelled (`\"cancelled\"`) or the timeout passed (`\"timeout\"`). Waiting for itself raises.",
		Example: `local t = spawn(function() error("boom", 0) end)
print(t:wait())  --> nil  boom`,
	}, (*Session).mTaskWait},
	{&Doc{
		Name:    "task:cancel",
		Forms:   []string{"t:cancel()"},
		Summary: "Ends the task: a blocked call in it returns at once and its code stops.",
		Returns: "true if the task was alive, false if it had already ended.",
		Errors:  "None.",
		Example: `local t = spawn(sleep, 60)
print(t:cancel(), t.status)  --> true  cancelled`,
	}, (*Session).mTaskCancel},
}

func (s *Session) lSpawn(L *lua.LState) int {
	a := args{L: L, fn: "spawn"}
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		a.raise(1, "function expected, got %s", describe(L.Get(1)))
	}
	sc := s.sched
	sc.nextID++
	ctx, cancel := context.WithCancel(s.root)
	th := newThread(L, ctx)
	t := &task{
		id: sc.nextID, th: th, ctx: ctx, cancel: cancel, status: taskReady,
		where: strings.TrimSuffix(L.Where(1), ":"), done: make(chan struct{}),
	}
	if t.where == "" {
		t.where = "?"
	}
	t.resumeArg = append([]lua.LValue{fn}, argsFrom(L, 2)...)
	ud := L.NewUserData()
	ud.Value = t
	ud.Metatable = L.GetTypeMetatable(taskClass)
	t.handle = ud
	sc.tasks = append(sc.tasks, t)
	sc.byTh[th] = t
	// Set up now: run the prelude's body to its first yield, so that every
	// later error in the task goes through the task's own panic handler.
	if st, err, _ := L.Resume(th, sc.start.(*lua.LFunction), t.resumeArg...); st != lua.ResumeYield {
		panic(fmt.Sprintf("task start: %v %v", st, err))
	}
	t.resumeArg = nil
	th.Panic = s.panicWithTraceback(t)
	sc.ready = append(sc.ready, t)
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

// panicWithTraceback records where a task's error was raised before
// unwinding, as gopher-lua keeps no traceback for coroutines.
func (s *Session) panicWithTraceback(t *task) func(*lua.LState) {
	return func(L *lua.LState) {
		obj := L.Get(-1)
		tb := L.GetField(L.GetGlobal("debug"), "traceback")
		if tb != lua.LNil && L.CallByParam(lua.P{Fn: tb, NRet: 1, Protect: true}, lua.LString("")) == nil {
			t.traceback = cleanTraceback(L.Get(-1).String())
			L.Pop(1)
		}
		panic(&lua.ApiError{Type: lua.ApiErrorRun, Object: obj})
	}
}

// cleanTraceback drops the prelude's frames from a traceback: they are
// sockshell's plumbing, not the user's code.
func cleanTraceback(tb string) string {
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(tb), "\n") {
		if !strings.Contains(line, "=prelude:") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// resumeTask runs t until it yields or ends; L is the thread running now,
// which resumes it. Its name is what waitMode looks for on the Go stack: a
// wait under it can yield to it.
func (s *Session) resumeTask(L *lua.LState, t *task) {
	sc := s.sched
	arg := t.resumeArg
	t.resumeArg = nil
	t.status = taskRunning
	prev := sc.current.Swap(t)
	st, err, vals := L.Resume(t.th, nil, arg...)
	sc.current.Store(prev)
	if t.status == taskCancelled {
		return // cancelled while it ran: already accounted for
	}
	switch {
	case st == lua.ResumeYield && len(vals) > 0 && vals[0] == sc.wait:
		if t.status == taskRunning {
			t.status = taskWaiting // its wait is under way
		}
	case st == lua.ResumeYield: // a plain coroutine.yield(): give way
		t.status = taskReady
		sc.ready = append(sc.ready, t)
	case st == lua.ResumeOK:
		t.results = vals
		s.endTask(t, taskDone)
	case s.exitCode != nil: // os.exit in the task: the session ends
		s.endTask(t, taskCancelled)
	case t.interrupted.Load():
		s.endTask(t, taskCancelled)
		fmt.Fprintf(s.stderr, "task#%d (%s) interrupted\n", t.id, t.where)
	case t.ctx.Err() != nil:
		s.endTask(t, taskCancelled)
	default:
		t.err = "?"
		if ae, ok := err.(*lua.ApiError); ok {
			t.err = ae.Object.String()
		}
		s.endTask(t, taskFailed)
		msg := fmt.Sprintf("task#%d (%s) failed: %s\n", t.id, t.where, t.err)
		if t.traceback != "" {
			msg += t.traceback + "\n"
		}
		io.WriteString(s.stderr, msg)
	}
}

func (s *Session) endTask(t *task, status string) {
	sc := s.sched
	t.status = status
	t.cancel()
	close(t.done)
	delete(sc.byTh, t.th)
	for i, x := range sc.tasks {
		if x == t {
			sc.tasks = append(sc.tasks[:i], sc.tasks[i+1:]...)
			break
		}
	}
}

// runReady resumes every ready task, in turn, until none is ready; L is
// the thread running now.
func (s *Session) runReady(L *lua.LState) {
	sc := s.sched
	for len(sc.ready) > 0 && s.exitCode == nil {
		t := sc.ready[0]
		sc.ready = sc.ready[1:]
		if t.status == taskReady {
			s.resumeTask(L, t)
		}
	}
}

// Alive is the number of tasks that have not ended.
func (s *Session) Alive() int { return len(s.sched.tasks) }

// Events delivers the results of tasks' waits. The goroutine that owns the
// session receives from it whenever it is idle and passes what it gets to
// Dispatch, so that tasks run while the shell waits for input.
func (s *Session) Events() <-chan func() { return s.sched.events }

// Dispatch applies an event from Events (nil for none) and runs the tasks
// that are then ready.
func (s *Session) Dispatch(ev func()) {
	if ev != nil {
		ev()
	}
	s.runReady(s.L)
}

// InterruptTask stops the task whose code is running now, if one is: what
// Ctrl-C at the prompt does when a task hogs the session. Any goroutine may
// call it. It reports whether a task was stopped.
func (s *Session) InterruptTask() bool {
	if t := s.sched.current.Load(); t != nil {
		t.interrupted.Store(true)
		t.cancel()
		return true
	}
	return false
}

// post sends a wait's result to the owner goroutine. After Close nobody
// listens: it then reports false.
func (s *Session) post(ev func()) bool {
	select {
	case s.sched.events <- ev:
		return true
	case <-s.root.Done():
		return false
	}
}

// op is the waiting part of a blocking call: it runs on its own goroutine,
// touches no Lua state, and returns its outcome.
type op func(ctx context.Context) outcome

// outcome is what an op produced: values makes the Lua results on the
// owner goroutine; unused, if set, gives back what the op took (a
// datagram) when nobody takes the results (the caller was cancelled).
type outcome struct {
	values func() []lua.LValue
	unused func()
}

// results is an outcome with nothing to give back.
func results(f func() []lua.LValue) outcome { return outcome{values: f} }

type waitKind int

const (
	waitInline waitKind = iota // not in a task: wait here
	waitYield                  // in a task: yield to the scheduler
	waitStuck                  // in a task, under a call that cannot yield
)

// waitMode tells how the Go function that calls it may wait, by reading the
// Go stack: each coroutine runs its own VM loop; a call that yields must be
// reached from its coroutine's loop directly, not through a nested loop (a
// Go function such as table.sort calling back into Lua, a metamethod,
// require), and the chain must lead to the scheduler's resumeTask.
func waitMode() waitKind {
	pcs := make([]uintptr, 64)
	skip := 2
	loops, stuck := 0, false
	for {
		n := runtime.Callers(skip, pcs)
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			name := f.Function
			switch {
			case strings.HasSuffix(name, "gopher-lua.mainLoop"), strings.HasSuffix(name, "gopher-lua.mainLoopWithContext"):
				loops++
			case strings.HasSuffix(name, "gopher-lua.threadRun"):
				if loops != 1 {
					stuck = true
				}
				loops = 0
			case strings.HasSuffix(name, "luaapi.(*Session).resumeTask"):
				if stuck {
					return waitStuck
				}
				return waitYield
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return waitInline
		}
		skip += n
	}
}

// wait performs a blocking call named fn for the Lua code calling it: op
// runs on a goroutine; inside a task the task yields until op is done,
// elsewhere the caller waits here while other tasks run. It returns the
// call's results.
func (s *Session) wait(L *lua.LState, fn string, o op) int {
	if len(s.sched.tasks) == 0 && s.sched.current.Load() == nil {
		// No task exists, so none can be running this call and none needs
		// to run meanwhile: wait right here, as a plain script does.
		ctx := ctxOf(L)
		res := o(ctx)
		return s.finishInline(L, ctx, res)
	}
	switch waitMode() {
	case waitYield:
		t := s.sched.current.Load()
		go func() {
			res := o(t.ctx)
			if !s.post(func() {
				if t.status == taskWaiting || t.status == taskRunning {
					t.resumeArg = res.values()
					t.status = taskReady
					s.sched.ready = append(s.sched.ready, t)
				} else if res.unused != nil {
					res.unused()
				}
			}) && res.unused != nil {
				res.unused()
			}
		}()
		return L.Yield(s.sched.wait)
	case waitStuck:
		L.RaiseError("%s cannot wait here: a task's blocking call cannot run inside a metamethod, "+
			"a table.sort comparator, a string.gsub callback or a module's top level during require "+
			"(call it outside, or from a function spawned as a task)", fn)
		return 0
	}
	ctx := ctxOf(L)
	mine := make(chan outcome, 1)
	go func() { mine <- o(ctx) }()
	for {
		s.runReady(L)
		if s.exitCode != nil {
			L.RaiseError("exit")
		}
		select {
		case res := <-mine:
			return s.finishInline(L, ctx, res)
		case ev := <-s.sched.events:
			ev()
		}
	}
}

// finishInline pushes the results of a wait made outside any task, or
// raises if the wait was interrupted.
func (s *Session) finishInline(L *lua.LState, ctx context.Context, res outcome) int {
	if err := ctx.Err(); err != nil {
		if res.unused != nil {
			res.unused()
		}
		L.RaiseError("%s", err)
	}
	return pushPush(L, res.values())
}

func (s *Session) lBg(L *lua.LState) int {
	a := args{L: L, fn: "bg"}
	path := a.name(1, L.Get(1), "script")
	fn, err := s.LoadFile(path, nil)
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
	return s.lSpawn(L)
}

func (s *Session) lSleep(L *lua.LState) int {
	a := args{L: L, fn: "sleep"}
	secs, ok := a.seconds(1, L.Get(1), "seconds")
	if !ok {
		a.raise(1, "seconds must be a number >= 0, got nil")
	}
	d := duration(secs)
	return s.wait(L, "sleep", func(ctx context.Context) outcome {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
		return results(func() []lua.LValue { return nil })
	})
}

func (s *Session) lTasks(L *lua.LState) int {
	list := L.NewTable()
	for _, t := range s.sched.tasks {
		list.Append(t.handle)
	}
	L.Push(list)
	return 1
}

func (s *Session) mTaskWait(L *lua.LState) int {
	a := args{L: L, fn: "wait", base: 1}
	t := checkTask(a, 1)
	wait := time.Duration(-1)
	if secs, ok := a.seconds(2, L.Get(2), "timeout"); ok {
		wait = duration(secs)
	}
	if cur := s.sched.current.Load(); cur == t {
		a.raise(1, "a task cannot wait for itself")
	}
	select {
	case <-t.done:
		return pushOutcome(L, t.outcome())
	default:
	}
	return s.wait(L, "wait", func(ctx context.Context) outcome {
		var timeout <-chan time.Time
		if wait >= 0 {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case <-t.done:
			return results(t.outcome)
		case <-timeout:
		case <-ctx.Done():
		}
		return results(func() []lua.LValue { return []lua.LValue{lua.LNil, lua.LString("timeout")} })
	})
}

// outcome is what wait returns for an ended task.
func (t *task) outcome() []lua.LValue {
	switch t.status {
	case taskDone:
		return t.results
	case taskCancelled:
		return []lua.LValue{lua.LNil, lua.LString("cancelled")}
	}
	return []lua.LValue{lua.LNil, lua.LString(t.err)}
}

func pushOutcome(L *lua.LState, vals []lua.LValue) int {
	for _, v := range vals {
		L.Push(v)
	}
	return len(vals)
}

func (s *Session) mTaskCancel(L *lua.LState) int {
	t := checkTask(args{L: L, fn: "cancel", base: 1}, 1)
	select {
	case <-t.done:
		L.Push(lua.LFalse)
		return 1
	default:
	}
	t.cancel()
	if s.sched.current.Load() != t {
		// Its coroutine is left as it is, never to be resumed; a wait it
		// had under way ends with the cancelled context and is ignored.
		s.endTask(t, taskCancelled)
	}
	// A task cancelling itself stops at its next instruction.
	L.Push(lua.LTrue)
	return 1
}
