package luaapi

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInterrupted is the cause of a chunk stopped by Session.Interrupt.
var ErrInterrupted = errors.New("interrupted")

// errExit is the cause when the script called os.exit.
var errExit = errors.New("exit")

// interrupter is the session's one context.Context. gopher-lua checks Done
// between instructions and coroutines copy the context they start under, so
// instead of a fresh context per chunk the session keeps this one and re-arms
// it after each interrupt: code and coroutines from earlier chunks can always
// be interrupted again. Done is an atomic load, cheap on the VM's hot path.
type interrupter struct {
	done atomic.Pointer[chan struct{}]
	mu   sync.Mutex
	err  atomic.Pointer[error] // nil while armed; written under mu
	fns  map[*afterFunc]struct{}
}

type afterFunc struct{ f func() }

func newInterrupter() *interrupter {
	c := &interrupter{fns: map[*afterFunc]struct{}{}}
	ch := make(chan struct{})
	c.done.Store(&ch)
	return c
}

// Deadline reports that there is none.
func (c *interrupter) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done is closed by an interrupt (or os.exit) and replaced by rearm.
func (c *interrupter) Done() <-chan struct{} { return *c.done.Load() }

// Value holds nothing.
func (c *interrupter) Value(any) any { return nil }

// Err is the cause of the current cancellation, or nil.
func (c *interrupter) Err() error {
	if e := c.err.Load(); e != nil {
		return *e
	}
	return nil
}

// AfterFunc runs f (on a goroutine) when the interrupter is cancelled,
// unless stop is called first. The socket core calls it directly around
// each blocking read. Nothing should derive a context.Context from the
// interrupter: the standard library's callback asks Err, which a re-arm may
// already have cleared.
func (c *interrupter) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err.Load() != nil {
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f}
	c.fns[a] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.fns[a]
		delete(c.fns, a)
		return ok
	}
}

// cancel ends the current arming with cause; it reports false when already
// cancelled (the first cause stays).
func (c *interrupter) cancel(cause error) bool {
	c.mu.Lock()
	if c.err.Load() != nil {
		c.mu.Unlock()
		return false
	}
	c.err.Store(&cause)
	fns := c.fns
	c.fns = map[*afterFunc]struct{}{}
	close(*c.done.Load())
	c.mu.Unlock()
	for a := range fns {
		go a.f()
	}
	return true
}

// rearm makes a cancelled interrupter live again.
func (c *interrupter) rearm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err.Load() == nil {
		return
	}
	ch := make(chan struct{})
	c.done.Store(&ch)
	c.err.Store(nil)
}
