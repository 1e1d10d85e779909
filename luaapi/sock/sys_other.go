//go:build !unix

package sock

import (
	"net"
	"net/netip"
	"time"
)

// sockshell's socket core reads and writes its sockets without waiting
// through the Unix system calls (recvmsg with MSG_DONTWAIT, read and write
// on non-blocking descriptors). Other systems are not supported: the build
// stops here with this one message.
var _ int = "sockshell builds on Unix systems only (Linux, macOS, FreeBSD and the other BSDs)"

// Stand-ins, so that the message above is the only one.

const msgTrunc = 0

var errWouldBlock error

func recvNow(uintptr, []byte) (int, int, netip.AddrPort, error) {
	return 0, 0, netip.AddrPort{}, errWouldBlock
}
func readNow(uintptr, []byte) (int, error)           { return 0, errWouldBlock }
func writeNow(uintptr, []byte) (int, error)          { return 0, errWouldBlock }
func setReuseAddr(uintptr) error                     { return nil }
func getsockoptInt(uintptr, int, int) (int, error)   { return 0, nil }
func optionNumbers(string) (level, opt int, ok bool) { return 0, 0, false }

var errSignal error

func recvWait(uintptr, []byte) (int, int, netip.AddrPort, error) {
	return 0, 0, netip.AddrPort{}, errWouldBlock
}
func setRecvTimeout(uintptr, time.Duration) error   { return nil }
func sendNow(uintptr, []byte, netip.AddrPort) error { return errWouldBlock }
func zoneIndex(string) uint32                       { return 0 }
func setMembership(int, netip.Addr, *net.Interface, bool) error {
	return errWouldBlock
}
