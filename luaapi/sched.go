package luaapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/internal/turn"
)

// sched is how Lua code runs and waits in a session. Lua code runs only on
// the goroutine that holds the baton: the shell's (or the script's) main
// goroutine while it runs a chunk, or one task's goroutine. Every task is a
// goroutine with its own gopher-lua thread sharing the session's globals.
// A blocking call (recvfrom, sleep, accept, …) gives the baton back around
// its wait and takes it again after, behind those who asked before; so a
// blocking call works wherever Lua code can run (pcall, metamethods,
// table.sort comparators, gsub callbacks, require, coroutines, tail calls)
// and other tasks run meanwhile. Nothing yields to wait. One exception
// spares a script's receive loop the hand-over at every datagram: a
// chunk's UDP read that waits while no task is alive keeps the baton,
// since nobody else has Lua code to run, and gives it up when anybody
// asks for it, between two slices of its wait (alone).
type sched struct {
	main  *lua.LState
	baton turn.Turn

	// holder is the task whose goroutine holds the baton (nil: the main
	// goroutine, or nobody). Written by the holder; current mirrors it for
	// other goroutines (InterruptTask).
	holder  *task
	current atomic.Pointer[task]

	// running holds the coroutines that are running (resumed and not yet
	// back): a coroutine blocked in a call on one goroutine must not be
	// resumed from another. Guarded by the baton.
	running map[*lua.LState]bool

	// chunkWait is the main goroutine's blocking call, as task.wait is a
	// task's.
	chunkWait waitState

	// nTasks counts the tasks in tasks, for alone.
	nTasks atomic.Int32
	// wanted is sc.wantedNow as a func value, made once.
	wanted func() bool

	mu      sync.Mutex // guards what follows
	tasks   []*task    // alive, in spawn order
	nextID  int
	emptied chan struct{} // closed when the last alive task ends
	wg      sync.WaitGroup
}

func newSched(main *lua.LState) *sched {
	sc := &sched{main: main, running: map[*lua.LState]bool{}, emptied: make(chan struct{})}
	sc.wanted = sc.wantedNow
	close(sc.emptied)
	return sc
}

// enter takes the baton for thread L, run by task t (nil for the main
// goroutine). Lua code may run once it returns.
func (sc *sched) enter(L *lua.LState, t *task) {
	if t != nil {
		t.setStatus(taskReady)
	}
	sc.baton.Lock()
	sc.entered(L, t)
}

// entered records who holds the baton, just taken.
func (sc *sched) entered(L *lua.LState, t *task) {
	sc.holder = t
	if t != nil {
		t.setStatus(taskRunning)
		sc.current.Store(t)
	}
	// coroutine.running and resume read the thread that runs now, which
	// gopher-lua keeps in one field shared by every thread.
	sc.main.G.CurrentThread = L
}

// leave gives the baton back; it returns who held it, for enter.
func (sc *sched) leave() *task {
	t := sc.holder
	sc.holder = nil
	sc.current.Store(nil)
	sc.baton.Unlock()
	return t
}

// block runs wait without the baton, so that other tasks run meanwhile,
// then takes the baton back for L. wait must not touch Lua; it sets undo
// when it took something (a datagram, bytes of a stream, a connection)
// that must go back if its caller is stopped before it can use it. block
// calls undo itself when L's context has ended by the time it has the
// baton again; whoever stops a task or a chunk calls it sooner (reclaim),
// so that the next reader gets what was read before anything newer.
func (sc *sched) block(L *lua.LState, wait func() (undo func())) {
	sc.blockWaking(L, nil, wait)
}

// blockWaking is block for a wait that looks at L's context only now and
// then (a wait in the kernel, every 50 or 100 ms) unless wake makes it
// look at once: whoever stops the call calls wake after ending
// its context, so that reclaim waits a moment, not a slice.
func (sc *sched) blockWaking(L *lua.LState, wake func(), wait func() (undo func())) {
	t := sc.holder
	ws := &sc.chunkWait
	if t != nil {
		// Before the baton goes: whoever has it next sees this task waiting.
		t.setStatus(taskWaiting)
		ws = &t.wait
	}
	sc.leave()
	ws.begin(wake)
	var undo func()
	defer func() {
		ws.end(undo)
		sc.enter(L, t)
		if u := ws.take(); u != nil && bind.Context(L).Err() != nil {
			u()
		}
	}()
	undo = wait()
}

// alone reports whether the goroutine that holds the baton may wait in a
// blocking call without giving it back, which spares the call the hand-
// over (a script's receive loop pays for it at every datagram): it runs
// a chunk, not a task, no task is alive, and nobody asks for the baton.
// Nobody else then has Lua code to run: a task is started only by code
// that holds the baton, and Go code that needs it asks first. Such a wait
// must ask wanted between slices of at most a few tens of milliseconds
// and go through block once wanted reports true.
func (sc *sched) alone() bool { return sc.holder == nil && !sc.wantedNow() }

// wantedNow reports whether a task is alive or somebody asks for the
// baton.
func (sc *sched) wantedNow() bool { return sc.nTasks.Load() > 0 || sc.baton.Waiting() > 0 }

// waitState is one goroutine's blocking call, for reclaim. A call makes
// no channel unless reclaim has to wait for it: the hot path allocates
// nothing.
type waitState struct {
	mu      sync.Mutex
	active  bool          // between begin and take
	over    bool          // the wait has ended
	undo    func()        // what gives back what the wait took
	wake    func()        // what makes the wait look at its context now
	waiting chan struct{} // made by reclaim, closed by end
}

func (ws *waitState) begin(wake func()) {
	ws.mu.Lock()
	ws.active, ws.over, ws.undo, ws.wake, ws.waiting = true, false, nil, wake, nil
	ws.mu.Unlock()
}

// end records that the wait is over and what undoes it.
func (ws *waitState) end(undo func()) {
	ws.mu.Lock()
	ws.over, ws.undo = true, undo
	if ws.waiting != nil {
		close(ws.waiting)
	}
	ws.mu.Unlock()
}

// take takes the undo function, once, and ends the call.
func (ws *waitState) take() func() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	u := ws.undo
	ws.active, ws.undo, ws.wake = false, nil, nil
	return u
}

// reclaim gives back what the call that was just cancelled took, before
// anyone else can read: it waits (briefly: a cancelled wait returns at
// once) for the wait to end, then undoes it.
func (ws *waitState) reclaim() {
	ws.mu.Lock()
	if !ws.active {
		ws.mu.Unlock()
		return
	}
	if !ws.over {
		if ws.waiting == nil {
			ws.waiting = make(chan struct{})
		}
		waiting, wake := ws.waiting, ws.wake
		ws.mu.Unlock()
		if !awaitWoken(waiting, wake) {
			return
		}
	} else {
		ws.mu.Unlock()
	}
	if u := ws.take(); u != nil {
		u()
	}
}

// awaitWoken waits until done is closed, for a second at most, calling
// wake (when there is one) at once and then every millisecond: a wait
// caught just before it began to sleep misses the first call. It reports
// whether done was closed.
func awaitWoken(done <-chan struct{}, wake func()) bool {
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	var again <-chan time.Time
	if wake != nil {
		wake()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		again = tick.C
	}
	for {
		select {
		case <-done:
			return true
		case <-again:
			wake()
		case <-timer.C:
			return false
		}
	}
}

// giveWay lets every task that is ready run before L goes on.
func (sc *sched) giveWay(L *lua.LState) {
	t := sc.holder
	if t != nil {
		t.setStatus(taskReady)
	}
	sc.current.Store(nil)
	sc.baton.Yield()
	sc.entered(L, t)
}

// add registers a new task.
func (sc *sched) add(t *task) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.nextID++
	t.id = sc.nextID
	if len(sc.tasks) == 0 {
		sc.emptied = make(chan struct{})
	}
	sc.tasks = append(sc.tasks, t)
	sc.nTasks.Add(1)
}

// end marks t ended with status; it reports false if it already was.
func (sc *sched) end(t *task, status int32) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if t.ended {
		return false
	}
	t.ended = true
	t.setStatus(status)
	t.cancel(errCancelled)
	close(t.done)
	for i, x := range sc.tasks {
		if x == t {
			sc.tasks = append(sc.tasks[:i], sc.tasks[i+1:]...)
			sc.nTasks.Add(-1)
			break
		}
	}
	if len(sc.tasks) == 0 {
		close(sc.emptied)
	}
	return true
}

// alive lists the tasks that have not ended, and a channel closed when
// none is left.
func (sc *sched) alive() ([]*task, <-chan struct{}) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]*task(nil), sc.tasks...), sc.emptied
}

// cancelAll ends every task.
func (sc *sched) cancelAll() {
	list, _ := sc.alive()
	for _, t := range list {
		sc.end(t, taskCancelled)
	}
}

// luaContext is what a Lua thread runs under: a chunk's or a task's
// context, whose error reads as the cause of its end ("interrupted",
// "cancelled", "exit"), so that Lua code stopped between instructions
// says why rather than "context canceled". Contexts derived from it are
// the standard library's, as from the context it wraps.
type luaContext struct{ context.Context }

// Err is the cause of the context's end, or nil while it lasts.
func (c luaContext) Err() error {
	if c.Context.Err() == nil {
		return nil
	}
	return context.Cause(c.Context)
}

// setContext gives thread L the context ctx (none when nil).
func setContext(L *lua.LState, ctx context.Context) {
	if ctx == nil {
		L.RemoveContext()
		return
	}
	L.SetContext(ctx)
}

// newThread makes a task's thread, which runs under ctx. gopher-lua's
// NewThread would derive a context from L's, tying the thread to whatever
// chunk made it.
func newThread(L *lua.LState, ctx context.Context) *lua.LState {
	prev := L.RemoveContext()
	saved := L.Options
	L.Options.CallStackSize = taskCallStack
	L.Options.RegistrySize = taskRegistry
	L.Options.RegistryGrowStep = taskRegistry
	th, _ := L.NewThread()
	L.Options = saved
	setContext(L, prev)
	setContext(th, ctx)
	return th
}

// A task's thread is smaller than the main thread: a server holds one
// task per connection, most of them idle. Its calls go 1000 deep, as
// Python's do by default (tail calls do not count), instead of 20000,
// which saves the 19 KB gopher-lua allocates up front for the deeper
// limit; its data stack starts at 32 slots and grows as the main
// thread's does. An idle connection's task then costs about 8 KB, as a
// goroutine per connection does in a Go server.
const (
	taskCallStack = 1000
	taskRegistry  = 32
)

// raiseIfDone raises when ctx has ended: the call's chunk or task was
// stopped. The message is the cause ("interrupted", "cancelled").
func raiseIfDone(L *lua.LState, ctx context.Context) {
	if ctx.Err() != nil {
		L.RaiseError("%s", context.Cause(ctx))
	}
}

// pushAll pushes vals, a call's results, and returns how many there are.
func pushAll(L *lua.LState, vals []lua.LValue) int {
	for _, v := range vals {
		L.Push(v)
	}
	return len(vals)
}
