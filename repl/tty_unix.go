//go:build linux || darwin || freebsd || netbsd || openbsd

package repl

import "golang.org/x/sys/unix"

// typeAhead sets how the terminal fd treats keys typed while code runs,
// when readline does not hold it in raw mode. keep on: no echo, so that a
// line typed ahead shows once, when the next prompt takes it, rather than
// echoed by the terminal, in the middle of the code's output, and then
// again (Ctrl-C still discards it, as in bash). keep off: echo again.
func typeAhead(fd int, keep bool) {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return
	}
	if keep {
		t.Lflag &^= unix.ECHO
	} else {
		t.Lflag |= unix.ECHO
	}
	unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}
