package bind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/sock"
)

// Failure turns an error from the socket core into the short message a Lua
// caller gets as the second result of nil, message. target says what the
// call was about, e.g. "udp port 5000" or "127.0.0.1:9". This is the one
// place where errors are classified; the table in failure_test.go shows every
// shape.
func Failure(err error, target string) string {
	var (
		size *sock.SizeError
		dns  *net.DNSError
	)
	switch {
	case errors.Is(err, sock.ErrTimeout):
		return "timeout"
	case errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.Is(err, ErrInterrupted), errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &size):
		return size.Error() + " (send less per datagram)"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return fmt.Sprintf("cannot resolve %q: no such host (check the name, or give an IP address)", dns.Name)
		}
		if dns.IsTimeout {
			return fmt.Sprintf("cannot resolve %q: the DNS server did not answer (give an IP address, or check /etc/resolv.conf)", dns.Name)
		}
		return fmt.Sprintf("cannot resolve %q: %s", dns.Name, dns.Err)
	case errors.Is(err, sock.ErrFamily):
		return fmt.Sprintf("address family mismatch: an IPv4 socket cannot send to %s (listen(0, \"::\") makes a socket for both)", target)
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files (the limit of descriptors is reached: close sockets no longer needed, or raise it with ulimit -n)"
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf("address already in use: %s (another program holds it; listen(0) picks a free port)", target)
	case errors.Is(err, syscall.EACCES):
		if strings.HasPrefix(target, "udp port") {
			return fmt.Sprintf("permission denied: %s (ports below 1024 need root; use a higher one)", target)
		}
		return fmt.Sprintf("permission denied: %s", target)
	case errors.Is(err, syscall.EINVAL) && strings.Contains(target, "%"):
		zone := target[strings.Index(target, "%")+1:]
		if i := strings.IndexAny(zone, "]: "); i >= 0 {
			zone = zone[:i]
		}
		return fmt.Sprintf("no network interface %q: %s (hostinfo() lists the interfaces)", zone, target)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Sprintf("address not available: %s is not an address of this host (hostinfo() lists them)", target)
	case errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("network unreachable: %s (no route to it; hostinfo() shows the interfaces)", target)
	case errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Sprintf("host unreachable: %s", target)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused: %s (nothing listens there)", target)
	case errors.Is(err, syscall.EMSGSIZE):
		return fmt.Sprintf("datagram too large for the path to %s (send less per datagram)", target)
	}
	// An unforeseen error: its cause without Go's "op net addr:" prefix.
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return fmt.Sprintf("%s: %s", target, err)
}

// Fail returns nil, message.
func Fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// ErrInterrupted is the cause of a call stopped by its user (Ctrl-C, a
// session's Interrupt).
var ErrInterrupted = errors.New("interrupted")

// YieldChunk names the Lua part of coroutine.yield (the session defines it),
// which error positions skip.
const YieldChunk = "=[coroutine.yield]"

// Strerror is the C library's text for errno, which Go's table spells the
// same but for the capital.
func Strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
