package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// laterWriter buffers what goes to a file or a pipe, as C's stdio and
// Python do, and writes it out within delay of its first byte, or when the
// buffer fills, or on Flush: a receiver printing 50 000 lines a second
// makes a write every few thousand lines, and a quiet one's line still
// shows at once to whoever watches.
type laterWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	delay time.Duration
	timer *time.Timer // pending flush, or nil
}

func newLaterWriter(w io.Writer, delay time.Duration) *laterWriter {
	return &laterWriter{w: bufio.NewWriterSize(w, 64<<10), delay: delay}
}

// Write buffers p.
func (l *laterWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer == nil {
		l.timer = time.AfterFunc(l.delay, func() { l.Flush() })
	}
	return l.w.Write(p)
}

// Flush writes out what is buffered.
func (l *laterWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	return l.w.Flush()
}

// flushFirst writes to w after flushing out, so that what a program wrote
// to standard output before an error comes before it.
type flushFirst struct {
	out interface{ Flush() error }
	w   io.Writer
}

// Write flushes standard output, then writes p.
func (f flushFirst) Write(p []byte) (int, error) {
	f.out.Flush()
	return f.w.Write(p)
}
