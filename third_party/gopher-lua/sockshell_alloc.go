package lua

import (
	"context"
	"sync"
	"sync/atomic"
)

// allocCheckMin is the size below which Global.AllocCheck is not asked: small
// strings cost it nothing.
const allocCheckMin = 1 << 16

// allocCheck raises the error of Global.AllocCheck, when it is set and
// refuses n bytes (n < 0: more than an int holds), as the VM's
// concatenation does: a library function asks before it allocates a
// result whose size its arguments set.
func (ls *LState) allocCheck(n int) {
	if ls.G.AllocCheck == nil || n >= 0 && n < allocCheckMin {
		return
	}
	if n < 0 {
		n = int(^uint(0) >> 1)
	}
	if err := ls.G.AllocCheck(n); err != nil {
		ls.Error(LString(err.Error()), 0) // no position, as C Lua's "not enough memory"
	}
}

// ClearAboveTop drops the values the data stack holds above its top:
// registers of returned or unwound calls, which the VM does not always
// clear and which keep what they point at from the collector. sockshell:
// see README.sockshell.md.
func (ls *LState) ClearAboveTop() {
	rg := ls.reg
	clear(rg.array[rg.top:])
}

// ClearStaleFrames drops the call frames above the running one, which
// keep the functions (and so the upvalues) of returned or unwound calls.
// sockshell: see README.sockshell.md.
func (ls *LState) ClearStaleFrames() {
	switch cs := ls.stack.(type) {
	case *fixedCallFrameStack:
		clear(cs.array[cs.sp:])
	case *autoGrowingCallFrameStack:
		if seg := cs.segments[cs.segIdx]; seg != nil && int(cs.segSp) < FramesPerSegment {
			clear(seg.array[cs.segSp:])
		}
	}
}

// watchContext returns the flag that says the thread's context has ended,
// which the VM loop reads at every instruction: an atomic load, where a
// select on the context's Done channel cost a third of a compute-bound
// loop. The flag is set by a callback of the context (at once when it has
// already ended); a thread whose context changed gets a new flag, so that
// a late callback of the old one cannot stop it. sockshell: see
// README.sockshell.md.
func (ls *LState) watchContext() *atomic.Bool {
	if ls.watched == ls.ctx && ls.stopped != nil {
		// The callback runs on a goroutine of its own, some time after
		// the context ends: a thread entered after that must not run an
		// instruction more (a coroutine resumed after its parent's
		// context was cancelled).
		if !ls.stopped.Load() {
			select {
			case <-ls.watchedDone:
				ls.stopped.Store(true)
			default:
			}
		}
		return ls.stopped
	}
	if ls.unwatch != nil {
		watching.remove(ls.stopped)
		ls.unwatch()
	}
	flag := new(atomic.Bool)
	ctx := ls.ctx
	ls.watched, ls.stopped, ls.watchedDone = ctx, flag, ctx.Done()
	if ctx.Err() != nil {
		flag.Store(true)
	}
	watching.add(flag)
	ls.unwatch = context.AfterFunc(ctx, func() {
		flag.Store(true)
		watching.remove(flag)
	})
	return flag
}

// watching is every flag of a thread watching its context (watchContext)
// whose context has not ended: the flags Poke sets.
var watching = flagSet{flags: map[*atomic.Bool]struct{}{}}

// flagSet is a set of flags that many goroutines change.
type flagSet struct {
	mu    sync.Mutex
	flags map[*atomic.Bool]struct{}
}

func (s *flagSet) add(f *atomic.Bool) {
	s.mu.Lock()
	s.flags[f] = struct{}{}
	s.mu.Unlock()
}

func (s *flagSet) remove(f *atomic.Bool) {
	s.mu.Lock()
	delete(s.flags, f)
	s.mu.Unlock()
}

// Poke makes every thread that runs Lua code under a context, in any
// state of the process, call its state's Global.Poked before its next
// instruction: how a process-wide condition, such as a heap past the
// memory budget, reaches the Lua code that runs, at no cost to the loop,
// which reads the flag of its context at every instruction anyway.
// sockshell: see README.sockshell.md.
func Poke() {
	watching.mu.Lock()
	for f := range watching.flags {
		f.Store(true)
	}
	watching.mu.Unlock()
}

// poked is the loop's answer to its flag found set with its context not
// ended: a Poke. The flag is cleared first, and set again when the
// context ended meanwhile (its callback may have run before the clear),
// so that the end is not lost; then Global.Poked runs.
func (ls *LState) poked(flag *atomic.Bool) {
	flag.Store(false)
	if ls.ctx.Err() != nil {
		flag.Store(true)
		return
	}
	if ls.G.Poked != nil {
		ls.G.Poked(ls)
	}
}

// checkStop raises the end of the thread's context, when it has ended, as
// the VM loop does: for a library function that works for long without
// running Lua code (gsub of a huge string), every so many steps.
// sockshell: see README.sockshell.md.
func (ls *LState) checkStop() {
	if ls.ctx != nil {
		if err := ls.ctx.Err(); err != nil {
			ls.RaiseError("%s", err.Error())
		}
	}
}
