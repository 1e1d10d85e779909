//go:build unix && !linux

package sock

import (
	"time"

	"golang.org/x/sys/unix"
)

// waitReadable waits in the kernel, at most d (rounded up to a
// millisecond), until fd has something to read; it reports whether it has.
func waitReadable(fd uintptr, d time.Duration) bool {
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, ms)
	return err == nil && n > 0
}
