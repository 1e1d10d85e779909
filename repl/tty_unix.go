//go:build linux || darwin || freebsd || netbsd || openbsd

package repl

import "golang.org/x/sys/unix"

// typeAhead sets how the terminal fd treats keys typed while code runs,
// when readline does not hold it in raw mode. keep on: no echo, so that a
// line typed ahead shows once, when the next prompt takes it, rather than
// echoed by the terminal, in the middle of the code's output, and then
// again; and no line editing by the terminal (ICANON off), so that every
// key reaches readline as the key it was. In the terminal's own line
// mode, Ctrl-D typed ahead is an end-of-file mark, which a read in raw
// mode returns as a NUL byte (Linux's n_tty): readline took that for the
// end of input and never read again. Signals stay on: Ctrl-C still
// interrupts and discards what was typed ahead, as in bash. keep off: the
// terminal's line mode and echo again.
func typeAhead(fd int, keep bool) {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return
	}
	if keep {
		t.Lflag &^= unix.ECHO | unix.ICANON
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	} else {
		t.Lflag |= unix.ECHO | unix.ICANON
	}
	unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}
