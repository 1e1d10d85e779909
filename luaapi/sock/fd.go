//go:build unix

package sock

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// pollSlice bounds how long WaitFD sleeps in the kernel before it looks at
// its context again: the latency of a cancellation (Ctrl-C) of a wait.
const pollSlice = 100 * time.Millisecond

// Events WaitFD waits for.
const (
	Readable = unix.POLLIN
	Writable = unix.POLLOUT
)

// A Waker cuts short, from another goroutine, a wait in the kernel that
// was given it: Wake signals the thread the wait sleeps on, and the wait
// looks at its context now rather than at the end of its slice (up to
// pollSlice). Whoever ends the waiter's context calls it. The zero Waker
// is ready; it serves one wait at a time. Threads are woken so on Linux;
// elsewhere Wake does nothing and the wait looks at its slice's end.
type Waker struct{ tid atomic.Int32 }

// Wake wakes the wait, if one sleeps. A wait caught just before it enters
// the kernel misses the call: calling again, every millisecond say, until
// the wait has ended closes that gap.
func (w *Waker) Wake() {
	if tid := w.tid.Load(); tid != 0 {
		wakeThread(tid)
	}
}

// hold keeps the calling goroutine to its thread and records the thread
// for Wake, until release. A nil Waker does nothing.
func (w *Waker) hold() {
	if w != nil {
		runtime.LockOSThread()
		w.tid.Store(threadID())
	}
}

// release undoes hold.
func (w *Waker) release() {
	if w != nil {
		w.tid.Store(0)
		runtime.UnlockOSThread()
	}
}

// WaitFD waits until the descriptor fd is ready for events (Readable,
// Writable or both), ctx ends, or deadline passes (zero: it does not). It
// returns the events that happened (errors and hang-ups count as ready:
// the next call on fd reports them), ErrTimeout, or ctx's error. It does
// not touch fd's data, and holds one system thread while it waits, so it
// serves descriptors the program got from elsewhere (LuaSocket's setfd and
// select) as well as its own. w, if not nil, lets another goroutine wake
// the wait.
func WaitFD(ctx context.Context, fd int, events int16, deadline time.Time, w *Waker) (int16, error) {
	if fd < 0 {
		return 0, unix.EBADF
	}
	pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
	if err := pollUntil(ctx, pfd, deadline, w); err != nil {
		return 0, err
	}
	if pfd[0].Revents&unix.POLLNVAL != 0 {
		return 0, unix.EBADF
	}
	return pfd[0].Revents, nil
}

// pollUntil polls pfds until one is ready (their Revents say which), ctx
// ends or deadline (zero: none) passes (ErrTimeout), in slices of at most
// pollSlice, or until w wakes it (poll returns EINTR on a signal).
func pollUntil(ctx context.Context, pfds []unix.PollFd, deadline time.Time, w *Waker) error {
	w.hold()
	defer w.release()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := pollSlice
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				wait = 0
			} else if left < wait {
				// Round up: poll's milliseconds must not end the wait early.
				wait = left + time.Millisecond - 1
			}
		}
		for i := range pfds {
			pfds[i].Revents = 0
		}
		n, err := unix.Poll(pfds, int(wait/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return ErrTimeout
		}
	}
}

// WaitFDs waits as WaitFD for any of several descriptors: read lists those
// to wait on for reading, write those for writing. It returns which of each
// are ready; none with ErrTimeout when deadline passes first.
func WaitFDs(ctx context.Context, read, write []int, deadline time.Time, w *Waker) (readable, writable []int, err error) {
	pfds := make([]unix.PollFd, 0, len(read)+len(write))
	for _, fd := range read {
		pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	for _, fd := range write {
		pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT})
	}
	if err := pollUntil(ctx, pfds, deadline, w); err != nil {
		return nil, nil, err
	}
	for i, p := range pfds {
		if p.Revents == 0 {
			continue
		}
		if i < len(read) {
			readable = append(readable, int(p.Fd))
		} else {
			writable = append(writable, int(p.Fd))
		}
	}
	return readable, writable, nil
}
