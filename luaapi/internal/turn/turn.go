// Package turn is a lock granted in the order it was asked for. A caller
// may reserve its place while it still holds something else (so that the
// order of requests is the order of calls, not of goroutine scheduling),
// and a waiter may give up at a deadline or when its context ends.
//
// sockshell uses it for the session's baton (only the holder runs Lua
// code) and for the turns of a socket's readers and writers.
package turn

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrTimeout is what WaitUntil returns when the deadline passed first.
var ErrTimeout = errors.New("turn: timeout")

// Turn is a FIFO lock. The zero value is free.
type Turn struct {
	mu    sync.Mutex
	held  bool
	queue []*Ticket
	// waiting is len(queue), written under mu, read without it.
	waiting atomic.Int32
}

// Ticket is a place in a Turn's queue.
type Ticket struct {
	t       *Turn
	ready   chan struct{} // closed when granted; nil when granted at once
	granted bool          // guarded by t.mu
}

// Lock waits for the turn, behind everyone who asked before.
func (t *Turn) Lock() {
	t.mu.Lock()
	if !t.held {
		t.held = true
		t.mu.Unlock()
		return
	}
	tk := t.enqueue()
	t.mu.Unlock()
	<-tk.ready
}

// TryLock takes the turn if it is free and nobody waits.
func (t *Turn) TryLock() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held {
		return false
	}
	t.held = true
	return true
}

// Ask reserves a place in the queue without waiting: the ticket is granted
// at once when the turn is free, or after everyone who asked before.
func (t *Turn) Ask() *Ticket {
	t.mu.Lock()
	if !t.held {
		t.held = true
		t.mu.Unlock()
		return grantedTicket
	}
	tk := t.enqueue()
	t.mu.Unlock()
	return tk
}

// enqueue adds a waiting ticket; t.mu is held.
// grantedTicket is every ticket granted at once: Wait and WaitUntil
// return at once for it, and nothing changes it, so one serves all
// (an uncontended Ask allocates nothing).
var grantedTicket = &Ticket{granted: true}

func (t *Turn) enqueue() *Ticket {
	tk := &Ticket{t: t, ready: make(chan struct{})}
	t.queue = append(t.queue, tk)
	t.waiting.Store(int32(len(t.queue)))
	return tk
}

// Unlock gives the turn to the first in the queue, or frees it.
func (t *Turn) Unlock() {
	t.mu.Lock()
	if len(t.queue) == 0 {
		if !t.held {
			t.mu.Unlock()
			panic("turn: unlock of a free turn")
		}
		t.held = false
		t.mu.Unlock()
		return
	}
	next := t.next()
	t.mu.Unlock()
	close(next.ready)
}

// next takes the first ticket off the queue and grants it; t.mu is held
// and the queue is not empty. The caller closes its ready channel.
func (t *Turn) next() *Ticket {
	tk := t.queue[0]
	t.queue[0] = nil
	t.queue = t.queue[1:]
	t.waiting.Store(int32(len(t.queue)))
	tk.granted = true
	return tk
}

// Yield lets everyone waiting have the turn before the caller, who holds
// it, has it again; with nobody waiting it returns at once. Giving the turn
// up and queueing for it again are one step, so that nobody who asks
// meanwhile comes first.
func (t *Turn) Yield() {
	t.mu.Lock()
	if len(t.queue) == 0 {
		t.mu.Unlock()
		return
	}
	me := t.enqueue()
	next := t.next()
	t.mu.Unlock()
	close(next.ready)
	<-me.ready
}

// Wait waits until the ticket is granted.
func (tk *Ticket) Wait() {
	if tk.ready != nil {
		<-tk.ready
	}
}

// WaitUntil waits until the ticket is granted, ctx ends or the deadline
// passes (a zero deadline never does). When it fails the ticket is
// withdrawn: the caller does not hold the turn. It returns ctx's error or
// ErrTimeout.
func (tk *Ticket) WaitUntil(ctx context.Context, deadline time.Time) error {
	if tk.ready == nil {
		return nil
	}
	select {
	case <-tk.ready:
		return nil
	default:
	}
	var expired <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		expired = timer.C
	}
	var err error
	select {
	case <-tk.ready:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-expired:
		err = ErrTimeout
	}
	t := tk.t
	t.mu.Lock()
	if tk.granted {
		// Granted as it gave up: pass the turn on.
		t.mu.Unlock()
		t.Unlock()
		return err
	}
	for i, q := range t.queue {
		if q == tk {
			t.queue = append(t.queue[:i], t.queue[i+1:]...)
			t.waiting.Store(int32(len(t.queue)))
			break
		}
	}
	t.mu.Unlock()
	return err
}

// Waiting is the number of tickets in the queue.
func (t *Turn) Waiting() int { return int(t.waiting.Load()) }
