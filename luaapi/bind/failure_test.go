package bind

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/sockshell/sockshell/luaapi/sock"
)

func TestFailureMessages(t *testing.T) {
	op := func(e error) error {
		return &net.OpError{Op: "listen", Net: "udp", Err: os.NewSyscallError("bind", e)}
	}
	for _, tc := range []struct {
		err    error
		target string
		want   string
	}{
		{sock.ErrTimeout, "x", "timeout"},
		{fmt.Errorf("read: %w", net.ErrClosed), "x", "closed"},
		{ErrInterrupted, "x", "interrupted"},
		{&sock.SizeError{Size: 70000, Max: 65507}, "127.0.0.1:9", "datagram too large: 70000 bytes, the IPv4 limit is 65507 (send less per datagram)"},
		{&net.DNSError{Err: "no such host", Name: "no-such-host.invalid", IsNotFound: true}, "no-such-host.invalid",
			`cannot resolve "no-such-host.invalid": no such host (check the name, or give an IP address)`},
		{&net.DNSError{Err: "i/o timeout", Name: "slow.example", IsTimeout: true}, "slow.example",
			`cannot resolve "slow.example": the DNS server did not answer (give an IP address, or check /etc/resolv.conf)`},
		{op(syscall.EADDRINUSE), "udp port 5000", "address already in use: udp port 5000 (another program holds it; listen(0) picks a free port)"},
		{op(syscall.EMFILE), "tcp 0.0.0.0:7", "too many open files (the limit of descriptors is reached: close sockets no longer needed, or raise it with ulimit -n)"},
		{op(syscall.EACCES), "udp port 80", "permission denied: udp port 80 (ports below 1024 need root; use a higher one)"},
		{op(syscall.EADDRNOTAVAIL), "192.0.2.99", "address not available: 192.0.2.99 is not an address of this host (hostinfo() lists them)"},
		{op(syscall.ENETUNREACH), "198.51.100.1:9", "network unreachable: 198.51.100.1:9 (no route to it; hostinfo() shows the interfaces)"},
		{op(syscall.ECONNREFUSED), "127.0.0.1:9", "connection refused: 127.0.0.1:9 (nothing listens there)"},
		{&net.OpError{Op: "write", Err: sock.ErrFamily}, "[::1]:9", `address family mismatch: an IPv4 socket cannot send to [::1]:9 (listen(0, "::") makes a socket for both)`},
		{op(syscall.ENOBUFS), "127.0.0.1:9", "127.0.0.1:9: bind: no buffer space available"},
		{errors.New("odd"), "t", "t: odd"},
	} {
		if got := Failure(tc.err, tc.target); got != tc.want {
			t.Errorf("failure(%v, %q)\n got %s\nwant %s", tc.err, tc.target, got, tc.want)
		}
	}
}
