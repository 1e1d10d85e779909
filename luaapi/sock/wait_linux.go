//go:build linux

package sock

import (
	"time"

	"golang.org/x/sys/unix"
)

// waitReadable waits in the kernel, at most d, until fd has something to
// read; it reports whether it has.
func waitReadable(fd uintptr, d time.Duration) bool {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Ppoll(fds, &ts, nil)
	return err == nil && n > 0
}
