package lua

import (
	"context"
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
		ls.unwatch()
	}
	flag := new(atomic.Bool)
	ctx := ls.ctx
	ls.watched, ls.stopped, ls.watchedDone = ctx, flag, ctx.Done()
	if ctx.Err() != nil {
		flag.Store(true)
	}
	ls.unwatch = context.AfterFunc(ctx, func() { flag.Store(true) })
	return flag
}
