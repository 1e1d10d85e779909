//go:build unix

package sock

import (
	"errors"
	"net/netip"
	"syscall"
	"time"
)

// msgTrunc is the flag recvmsg sets on a datagram longer than the buffer.
const msgTrunc = syscall.MSG_TRUNC

// errWouldBlock is what the non-blocking calls return when they would wait.
var errWouldBlock = errors.New("would block")

// recvNow reads a datagram queued on the socket fd without waiting.
func recvNow(fd uintptr, buf []byte) (n, flags int, from netip.AddrPort, err error) {
	return recv(fd, buf, syscall.MSG_DONTWAIT)
}

// recvWait reads a datagram from the socket fd, which must be in blocking
// mode, waiting at most its receive timeout: errWouldBlock when that
// passed, errSignal when a signal cut the wait short.
func recvWait(fd uintptr, buf []byte) (n, flags int, from netip.AddrPort, err error) {
	return recv(fd, buf, 0)
}

// errSignal is what a wait cut short by a signal returns.
var errSignal = errors.New("interrupted by a signal")

// setBlocking makes reads of fd wait (true), or not (false, as Go's
// netpoller wants them).
func setBlocking(fd uintptr, blocking bool) error { return syscall.SetNonblock(int(fd), !blocking) }

// setRecvTimeout sets how long a blocking read of fd waits; d > 0.
func setRecvTimeout(fd uintptr, d time.Duration) error {
	tv := syscall.NsecToTimeval(max(d.Nanoseconds(), 1000))
	return syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
}

// readNow reads what is queued on the stream fd without waiting; n == 0
// with a nil error is the end of the stream.
func readNow(fd uintptr, buf []byte) (int, error) {
	n, err := syscall.Read(int(fd), buf)
	if err != nil {
		return 0, wouldBlock(err)
	}
	return n, nil
}

// writeNow writes what the stream fd takes without waiting.
func writeNow(fd uintptr, b []byte) (int, error) {
	n, err := syscall.Write(int(fd), b)
	if err != nil {
		return 0, wouldBlock(err)
	}
	return n, nil
}

// wouldBlock is err, or errWouldBlock for EAGAIN.
func wouldBlock(err error) error {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
		return errWouldBlock
	}
	return err
}

// setReuseAddr sets SO_REUSEADDR on fd.
func setReuseAddr(fd uintptr) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
}

// getsockoptInt reads an integer socket option of fd.
func getsockoptInt(fd uintptr, level, opt int) (int, error) {
	return syscall.GetsockoptInt(int(fd), level, opt)
}

func optionNumbers(name string) (level, opt int, ok bool) {
	switch name {
	case "nodelay":
		return syscall.IPPROTO_TCP, syscall.TCP_NODELAY, true
	case "keepalive":
		return syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, true
	case "rcvbuf":
		return syscall.SOL_SOCKET, syscall.SO_RCVBUF, true
	case "sndbuf":
		return syscall.SOL_SOCKET, syscall.SO_SNDBUF, true
	case "reuseaddr":
		return syscall.SOL_SOCKET, syscall.SO_REUSEADDR, true
	case "broadcast":
		return syscall.SOL_SOCKET, syscall.SO_BROADCAST, true
	}
	return 0, 0, false
}
