//go:build !linux

package sock

import "time"

// readAhead reads datagrams in batches where the system can (Linux's
// recvmmsg); elsewhere each read takes one.
type readAhead struct {
	n, next int
	busy    bool
}

func newReadAhead() *readAhead                           { return nil }
func (a *readAhead) fill(fd int, wait bool) (int, error) { return 0, errWouldBlock }
func (a *readAhead) take(m *Message)                     {}
func (a *readAhead) free()                               {}
func (a *readAhead) firstLen() int                       { return 0 }

// pause is never called where reads do not batch.
func pause(time.Duration) {}
