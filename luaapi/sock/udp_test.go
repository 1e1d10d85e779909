package sock

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockshell/sockshell/internal/testenv"
)

var loopback4 = netip.MustParseAddr("127.0.0.1")

// listenLoop binds a UDP socket on host port 0 and closes it when the test ends.
func listenLoop(t testing.TB, host string) *UDPConn {
	t.Helper()
	c, err := ListenUDP(context.Background(), host, 0, ListenOptions{})
	if err != nil {
		t.Fatalf("ListenUDP(%q, 0): %v", host, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dest is where a datagram to c on loopback goes.
func dest(c *UDPConn) netip.AddrPort {
	ap := c.LocalAddr()
	if ap.Addr().IsUnspecified() {
		return netip.AddrPortFrom(loopback4, ap.Port())
	}
	return ap
}

func read(t *testing.T, c *UDPConn, size int) Message {
	t.Helper()
	m := Message{Buf: make([]byte, size)}
	if err := c.ReadFrom(context.Background(), &m, 5*time.Second); err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	return m
}

func TestSendReceive(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			rx := listenLoop(t, host)
			tx := listenLoop(t, host)
			payload := []byte("he\x00llo\xff")
			n, err := tx.WriteTo(payload, dest(rx))
			if err != nil || n != len(payload) {
				t.Fatalf("WriteTo = %d, %v", n, err)
			}
			m := read(t, rx, 65535)
			if !bytes.Equal(m.Buf[:m.N], payload) {
				t.Errorf("got %q, want %q", m.Buf[:m.N], payload)
			}
			if m.Addr != tx.LocalAddr() {
				t.Errorf("sender = %v, want %v", m.Addr, tx.LocalAddr())
			}
			if m.Truncated {
				t.Error("reported truncated")
			}
		})
	}
}

func TestWildcardAddresses(t *testing.T) {
	for host, want := range map[string]string{"": "0.0.0.0", "*": "0.0.0.0", "0.0.0.0": "0.0.0.0", "::": "::"} {
		c := listenLoop(t, host)
		if got := c.LocalAddr().Addr().String(); got != want {
			t.Errorf("ListenUDP(%q) bound %s, want %s", host, got, want)
		}
	}
}

func TestDualStackReceivesIPv4(t *testing.T) {
	rx := listenLoop(t, "::")
	tx := listenLoop(t, "127.0.0.1")
	if _, err := tx.WriteTo([]byte("v4"), netip.AddrPortFrom(loopback4, rx.LocalAddr().Port())); err != nil {
		t.Fatal(err)
	}
	m := read(t, rx, 100)
	if m.Addr.Addr() != loopback4 {
		t.Errorf("sender address %v, want it unmapped to 127.0.0.1", m.Addr)
	}
}

func TestTruncationIsReported(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	tx.WriteTo([]byte("0123456789"), dest(rx))
	m := read(t, rx, 4)
	if !m.Truncated || string(m.Buf[:m.N]) != "0123" {
		t.Errorf("got %q truncated=%v, want \"0123\" truncated=true", m.Buf[:m.N], m.Truncated)
	}
}

func TestTimeout(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	m := Message{Buf: make([]byte, 10)}
	err := rx.ReadFrom(context.Background(), &m, 20*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	// The deadline of a timed read must not leak into a later unbounded one.
	tx := listenLoop(t, "127.0.0.1")
	tx.WriteTo([]byte("after"), dest(rx))
	if err := rx.ReadFrom(context.Background(), &m, Forever); err != nil {
		t.Fatalf("read after timeout: %v", err)
	}
}

func TestPoll(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	m := Message{Buf: make([]byte, 10)}
	if err := rx.ReadFrom(context.Background(), &m, 0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("poll of an empty socket: %v, want ErrTimeout", err)
	}
	tx := listenLoop(t, "127.0.0.1")
	tx.WriteTo([]byte("queued but long"), dest(rx))
	// The datagram is on loopback at once, but give the kernel a bounded
	// number of polls rather than assuming it.
	var err error
	for i := 0; i < 1000; i++ {
		if err = rx.ReadFrom(context.Background(), &m, 0); !errors.Is(err, ErrTimeout) {
			break
		}
	}
	if err != nil || string(m.Buf[:m.N]) != "queued but" || !m.Truncated || m.Addr != tx.LocalAddr() {
		t.Fatalf("poll = %q trunc=%v from %v err %v", m.Buf[:m.N], m.Truncated, m.Addr, err)
	}
}

func TestClose(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	if err := rx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rx.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	m := Message{Buf: make([]byte, 10)}
	for _, wait := range []time.Duration{Forever, 0, time.Second} {
		if err := rx.ReadFrom(context.Background(), &m, wait); !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadFrom(wait %v) on closed socket: %v, want net.ErrClosed", wait, err)
		}
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	done := make(chan error)
	go func() {
		m := Message{Buf: make([]byte, 10)}
		done <- rx.ReadFrom(context.Background(), &m, Forever)
	}()
	rx.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("blocked read ended with %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock the read")
	}
}

func TestCancelUnblocksRead(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		m := Message{Buf: make([]byte, 10)}
		close(started)
		done <- rx.ReadFrom(ctx, &m, Forever)
	}()
	<-started
	cancel()
	t0 := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d, bound := time.Since(t0), testenv.Latency(100*time.Millisecond); d > bound {
			t.Errorf("read returned %v after cancel, want < %v", d, bound)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not unblock the read")
	}
	// The socket still works with a fresh context.
	tx := listenLoop(t, "127.0.0.1")
	tx.WriteTo([]byte("still here"), dest(rx))
	if m := read(t, rx, 20); string(m.Buf[:m.N]) != "still here" {
		t.Errorf("after cancel got %q", m.Buf[:m.N])
	}
}

func TestSizeLimits(t *testing.T) {
	tx := listenLoop(t, "::")
	for _, tc := range []struct {
		to   string
		size int
		max  int
	}{
		{"127.0.0.1:9", MaxDatagram4 + 1, MaxDatagram4},
		{"[::1]:9", MaxDatagram6 + 1, MaxDatagram6},
	} {
		_, err := tx.WriteTo(make([]byte, tc.size), netip.MustParseAddrPort(tc.to))
		var se *SizeError
		if !errors.As(err, &se) || se.Size != tc.size || se.Max != tc.max {
			t.Errorf("WriteTo %d bytes to %s: %v, want SizeError{%d, %d}", tc.size, tc.to, err, tc.size, tc.max)
		}
		if _, _, err := SendTo(context.Background(), make([]byte, tc.size), netip.MustParseAddrPort(tc.to)); !errors.As(err, &se) {
			t.Errorf("SendTo %d bytes: %v, want SizeError", tc.size, err)
		}
	}
	// The largest IPv4 datagram goes through.
	rx := listenLoop(t, "127.0.0.1")
	if n, _, err := SendTo(context.Background(), make([]byte, MaxDatagram4), dest(rx)); err != nil || n != MaxDatagram4 {
		t.Fatalf("SendTo largest = %d, %v", n, err)
	}
	if m := read(t, rx, 65535); m.N != MaxDatagram4 || m.Truncated {
		t.Errorf("received %d truncated=%v", m.N, m.Truncated)
	}
}

func TestSendToFromFreshSocket(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	n, from, err := SendTo(context.Background(), []byte("hi"), dest(rx))
	if err != nil || n != 2 {
		t.Fatalf("SendTo = %d, %v", n, err)
	}
	m := read(t, rx, 10)
	if m.Addr.Port() != from.Port() || from.Port() == 0 {
		t.Errorf("datagram came from %v, SendTo reported %v", m.Addr, from)
	}
}

func TestIPv4SocketToIPv6Address(t *testing.T) {
	tx := listenLoop(t, "127.0.0.1")
	_, err := tx.WriteTo([]byte("x"), netip.MustParseAddrPort("[::1]:9"))
	if !errors.Is(err, ErrFamily) {
		t.Errorf("err = %v, want ErrFamily", err)
	}
}

func TestAddressInUse(t *testing.T) {
	a := listenLoop(t, "127.0.0.1")
	_, err := ListenUDP(context.Background(), "127.0.0.1", int(a.LocalAddr().Port()), ListenOptions{})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second bind: %v, want EADDRINUSE", err)
	}
}

// Sending to the loopback network's broadcast address needs SO_BROADCAST,
// which every socket gets: the chapter's sender broadcasts without asking.
func TestBroadcastNeedsNoExtraCall(t *testing.T) {
	rx := listenLoop(t, "0.0.0.0")
	bcast := netip.AddrPortFrom(netip.MustParseAddr("127.255.255.255"), rx.LocalAddr().Port())
	if _, _, err := SendTo(context.Background(), []byte("all"), bcast); err != nil {
		t.Fatalf("SendTo broadcast: %v", err)
	}
	if m := read(t, rx, 10); string(m.Buf[:m.N]) != "all" {
		t.Errorf("got %q", m.Buf[:m.N])
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		host string
		v6   bool
		want string
	}{
		{"127.0.0.1", false, "127.0.0.1:7"},
		{"::1", false, "[::1]:7"},
		{"[::1]", false, "[::1]:7"},
		{"::ffff:127.0.0.2", true, "127.0.0.2:7"},
	} {
		ap, err := Resolve(ctx, tc.host, 7, tc.v6)
		if err != nil || ap.String() != tc.want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", tc.host, ap, err, tc.want)
		}
	}
	ap, err := Resolve(ctx, "localhost", 7, false)
	if err != nil || !ap.Addr().IsLoopback() {
		t.Errorf("Resolve(localhost) = %v, %v", ap, err)
	}
	_, err = Resolve(ctx, "no-such-host.invalid", 7, false)
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("Resolve(no-such-host.invalid) = %v, want a not-found DNSError", err)
	}
}

// leavingCtx is a context whose caller leaves during the read: Err is nil
// when the read starts and Canceled when it ends.
type leavingCtx struct {
	context.Context
	calls int
}

func (c *leavingCtx) Err() error {
	c.calls++
	if c.calls > 1 {
		return context.Canceled
	}
	return nil
}

// A datagram read for a caller that left as it came goes to the next read.
func TestCancelledReadLosesNothing(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	tx.WriteTo([]byte("kept"), dest(rx))
	m := Message{Buf: make([]byte, 10)}
	ctx := &leavingCtx{Context: context.Background()}
	if err := rx.ReadFrom(ctx, &m, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("read for a caller who left: %v", err)
	}
	if got := read(t, rx, 3); string(got.Buf[:got.N]) != "kep" || !got.Truncated || got.Addr != tx.LocalAddr() {
		t.Errorf("next read got %q truncated=%v from %v", got.Buf[:got.N], got.Truncated, got.Addr)
	}
	// Unread puts a datagram first in line.
	rx.Unread(&Message{Buf: []byte("back"), N: 4, Addr: tx.LocalAddr()})
	if got := read(t, rx, 10); string(got.Buf[:got.N]) != "back" {
		t.Errorf("after Unread got %q", got.Buf[:got.N])
	}
}

// Concurrent reads take turns and each datagram goes to one of them.
func TestConcurrentReads(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	results := make(chan string, 3)
	for i := 0; i < 3; i++ {
		go func() {
			m := Message{Buf: make([]byte, 10)}
			if err := rx.ReadFrom(context.Background(), &m, 5*time.Second); err != nil {
				results <- err.Error()
				return
			}
			results <- string(m.Buf[:m.N])
		}()
	}
	for _, d := range []string{"a", "b", "c"} {
		tx.WriteTo([]byte(d), dest(rx))
	}
	got := map[string]bool{}
	for i := 0; i < 3; i++ {
		got[<-results] = true
	}
	if !got["a"] || !got["b"] || !got["c"] {
		t.Errorf("reads got %v", got)
	}
}

// A read with Size and no buffer takes one only when a datagram has come,
// and Release gives it back.
func TestReadIntoPooledBuffer(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	got := make(chan error, 1)
	m := &Message{Size: 4}
	go func() { got <- rx.ReadFrom(context.Background(), m, 5*time.Second) }()
	tx.WriteTo([]byte("pooled"), dest(rx))
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if string(m.Buf[:m.N]) != "pool" || !m.Truncated {
		t.Errorf("got %q truncated=%v", m.Buf[:m.N], m.Truncated)
	}
	m.Release()
	if m.Buf != nil {
		t.Error("Buf kept after Release")
	}
	// A read that times out keeps no buffer.
	idle := &Message{Size: 100}
	if err := rx.ReadFrom(context.Background(), idle, 10*time.Millisecond); !errors.Is(err, ErrTimeout) || idle.Buf != nil {
		t.Errorf("timed-out read: %v, buffer %v", err, idle.Buf != nil)
	}
}

// A read that waited in the kernel leaves the socket as usable as before:
// polls do not wait, a timeout shorter than a wait's slice holds, and a
// later long wait still stops when its context ends.
func TestHotReadThenEveryKindOfRead(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	got := make(chan error, 1)
	m := &Message{Buf: make([]byte, 100)}
	go func() { got <- rx.ReadFrom(context.Background(), m, 5*time.Second) }()
	tx.WriteTo([]byte("hot"), dest(rx))
	if err := <-got; err != nil || string(m.Buf[:m.N]) != "hot" {
		t.Fatalf("read: %v %q", err, m.Buf[:m.N])
	}
	start := time.Now()
	if err := rx.Poll(m); !errors.Is(err, ErrTimeout) {
		t.Errorf("poll: %v", err)
	}
	if err := rx.ReadFrom(context.Background(), m, time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("1 ms read: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("poll and 1 ms read took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { got <- rx.ReadFrom(ctx, m, Forever) }()
	tx.WriteTo([]byte("later"), dest(rx))
	if err := <-got; err != nil || string(m.Buf[:m.N]) != "later" {
		t.Fatalf("second read: %v %q", err, m.Buf[:m.N])
	}
	go func() { got <- rx.ReadFrom(ctx, m, Forever) }()
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
	if _, err := tx.WriteTo([]byte("still"), dest(rx)); err != nil {
		t.Fatal(err)
	}
	if err := rx.ReadFrom(context.Background(), m, 5*time.Second); err != nil || string(m.Buf[:m.N]) != "still" {
		t.Errorf("after all: %v %q", err, m.Buf[:m.N])
	}
}

// The socket is in blocking mode, which keeps it out of Go's netpoller
// (whose edge-triggered events would wake the netpoller's thread at every
// datagram while a read waits in the kernel).
func TestUDPSocketOutsideNetpoller(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		c := listenLoop(t, host)
		var nonblock bool
		var err error
		c.control(func(fd int) {
			var flags int
			flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			nonblock = flags&unix.O_NONBLOCK != 0
		})
		if err != nil || nonblock {
			t.Errorf("%s: non-blocking %v (%v)", host, nonblock, err)
		}
	}
}

// Close wakes a read that waits without end, which reports the socket
// closed; the port is free again at once.
func TestCloseWakesBlockedRead(t *testing.T) {
	c := listenLoop(t, "127.0.0.1")
	port := int(c.LocalAddr().Port())
	started := make(chan struct{})
	got := make(chan error, 1)
	go func() {
		close(started)
		got <- c.ReadFrom(context.Background(), &Message{Size: 100}, Forever)
	}()
	<-started
	// Closing before the read reached the kernel is as good a test: either
	// way the read must come back closed.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read still blocked 5 s after Close")
	}
	again, err := ListenUDP(context.Background(), "127.0.0.1", port, ListenOptions{})
	if err != nil {
		t.Fatalf("port %d not free after Close: %v", port, err)
	}
	again.Close()
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// A datagram given back while another read waits in the kernel still
// comes out before one that arrives after it.
func TestUnreadBeforeNewerWhileWaiting(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	first := &Message{Size: 100}
	got := make(chan error, 1)
	go func() { got <- rx.ReadFrom(context.Background(), first, 5*time.Second) }()
	rx.Unread(&Message{Buf: []byte("older"), N: 5, Addr: dest(tx)})
	if _, err := tx.WriteTo([]byte("newer"), dest(rx)); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil || string(first.Buf[:first.N]) != "older" {
		t.Fatalf("first read: %v %q, want older", err, first.Buf[:first.N])
	}
	second := &Message{Size: 100}
	if err := rx.ReadFrom(context.Background(), second, 5*time.Second); err != nil || string(second.Buf[:second.N]) != "newer" {
		t.Errorf("second read: %v %q, want newer", err, second.Buf[:second.N])
	}
}

// A socket that keeps finding datagrams queued reads them in batches;
// each read still gets exactly what recvfrom would have given it: the
// datagrams in order, each with its sender, cut to the read's buffer (and
// marked so) or whole, whatever the sizes of the reads before.
func TestReadAheadKeepsEveryDatagram(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	if err := rx.SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	tx1 := listenLoop(t, "127.0.0.1")
	tx2 := listenLoop(t, "127.0.0.1")
	const total = 300
	size := func(i int) int { return 1 + i*37%3000 }
	for i := 0; i < total; i++ {
		b := bytes.Repeat([]byte{byte('a' + i%26)}, size(i))
		tx := tx1
		if i%3 == 0 {
			tx = tx2
		}
		if _, err := tx.WriteTo(b, dest(rx)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < total; i++ {
		bufsize := []int{100, 65535, 1500, 2999}[i%4]
		m := &Message{Buf: make([]byte, bufsize)}
		var err error
		if i%2 == 0 || i < 2*backlogReads {
			// Polls first: each finds its datagram there, which starts
			// batches whatever the machine's speed.
			err = rx.Poll(m)
		} else {
			err = rx.ReadFrom(context.Background(), m, 5*time.Second)
		}
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		want := bytes.Repeat([]byte{byte('a' + i%26)}, min(size(i), bufsize))
		from := tx1
		if i%3 == 0 {
			from = tx2
		}
		if !bytes.Equal(m.Buf[:m.N], want) || m.Truncated != (size(i) > bufsize) || m.Addr != dest(from) {
			t.Fatalf("datagram %d (%d bytes, read with %d): got %d bytes %q… truncated %v from %v",
				i, size(i), bufsize, m.N, m.Buf[:min(m.N, 8)], m.Truncated, m.Addr)
		}
	}
	rx.mu.Lock()
	batched := rx.ahead != nil
	rx.mu.Unlock()
	if !batched && runtime.GOOS == "linux" {
		t.Error("300 queued datagrams were read one at a time")
	}
	if err := rx.Poll(&Message{Size: 10}); !errors.Is(err, ErrTimeout) {
		t.Errorf("after the last: %v", err)
	}
}

// With coalescing, a read of a stream that finds no datagram there lets
// those that come next gather and takes them together: the second of two
// sent as the read waited is then read ahead, not left in the kernel.
// Without it, the read takes the one datagram that woke it.
func TestCoalesceGathersAStream(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("batches need recvmmsg")
	}
	for _, gather := range []time.Duration{0, 50 * time.Millisecond} {
		rx := listenLoop(t, "127.0.0.1")
		tx := listenLoop(t, "127.0.0.1")
		// A backlog first, so that the socket reads in batches.
		for i := 0; i < 2*backlogReads; i++ {
			tx.WriteTo([]byte("backlog"), dest(rx))
		}
		for i := 0; i < 2*backlogReads; i++ {
			if err := rx.Poll(&Message{Size: 64}); err != nil {
				t.Fatal(err)
			}
		}
		rx.SetCoalesce(gather)
		// Both sent once the read found the queue empty and goes to
		// wait (or to gather).
		asleep := make(chan struct{})
		if gather > 0 {
			gathering = func() { close(asleep) }
		} else {
			waiting = func() { close(asleep) }
		}
		got := make(chan error, 1)
		m := &Message{Size: 64}
		go func() { got <- rx.ReadFrom(context.Background(), m, 5*time.Second) }()
		select {
		case <-asleep:
		case <-time.After(5 * time.Second):
			t.Fatal("the read did not begin to wait")
		}
		tx.WriteTo([]byte("A"), dest(rx))
		tx.WriteTo([]byte("B"), dest(rx))
		err := <-got
		gathering, waiting = func() {}, func() {}
		if err != nil || string(m.Buf[:m.N]) != "A" {
			t.Fatalf("coalesce %v: read %v %q, want A", gather, err, m.Buf[:m.N])
		}
		rx.mu.Lock()
		ahead := -1
		if rx.ahead != nil {
			ahead = rx.ahead.n - rx.ahead.next
		}
		rx.mu.Unlock()
		if want := map[bool]int{true: 1, false: 0}[gather > 0]; ahead != want {
			t.Errorf("coalesce %v: %d datagrams read ahead after the first, want %d", gather, ahead, want)
		}
		if err := rx.Poll(m); err != nil || string(m.Buf[:m.N]) != "B" {
			t.Errorf("coalesce %v: then %v %q, want B", gather, err, m.Buf[:m.N])
		}
	}
}

// A read that holds something others may need gives way between two
// slices of its wait once they ask, reading nothing and telling what is
// left of its wait; until then it reads as ReadFrom does.
func TestReadFromHoldingGivesWay(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	tx := listenLoop(t, "127.0.0.1")
	never := func() bool { return false }
	always := func() bool { return true }

	// Nobody asks: a datagram is read.
	tx.WriteTo([]byte("first"), dest(rx))
	m := &Message{Size: 64}
	if left, err := rx.ReadFromHolding(context.Background(), m, Forever, never); err != nil || string(m.Buf[:m.N]) != "first" || left != 0 {
		t.Fatalf("read: %v %q, left %v", err, m.Buf[:m.N], left)
	}
	m.Release()

	// Somebody asks: an unbounded wait gives way within a slice, and an
	// unbounded wait is what is left of it.
	begun := time.Now()
	left, err := rx.ReadFromHolding(context.Background(), m, Forever, always)
	if !errors.Is(err, ErrGiveWay) || left != Forever {
		t.Fatalf("unbounded wait: %v, left %v; want ErrGiveWay, Forever", err, left)
	}
	if took := time.Since(begun); took > 10*readSlice {
		t.Errorf("gave way after %v, want within about %v", took, readSlice)
	}
	// A bounded one: what is left is less than asked, more than none.
	wait := 10 * time.Second
	left, err = rx.ReadFromHolding(context.Background(), m, wait, always)
	if !errors.Is(err, ErrGiveWay) || left <= 0 || left >= wait {
		t.Fatalf("bounded wait: %v, left %v; want ErrGiveWay and 0 < left < %v", err, left, wait)
	}
	// A wait that ends first is a timeout, not a giving way.
	if _, err := rx.ReadFromHolding(context.Background(), m, 5*time.Millisecond, never); !errors.Is(err, ErrTimeout) {
		t.Fatalf("short wait: %v, want ErrTimeout", err)
	}

	// Nothing was lost by giving way: the next datagram is the next read.
	tx.WriteTo([]byte("second"), dest(rx))
	if err := rx.ReadFrom(context.Background(), m, 5*time.Second); err != nil || string(m.Buf[:m.N]) != "second" {
		t.Fatalf("after giving way: %v %q", err, m.Buf[:m.N])
	}
	m.Release()
}
