package sock

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tcpPair makes a listener on host and a connected pair of Conns.
func tcpPair(t *testing.T, host string) (client, server *Conn) {
	t.Helper()
	l, err := ListenTCP(context.Background(), host, 0, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan *Conn, 1)
	go func() {
		c, err := l.Accept(context.Background(), 5*time.Second)
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = Dial(context.Background(), l.Addr().Addr().String(), int(l.Addr().Port()), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func send(t *testing.T, c *Conn, s string) {
	t.Helper()
	if n, err := c.Send(context.Background(), c.QueueSend(), []byte(s), 5*time.Second); err != nil || n != len(s) {
		t.Fatalf("Send = %d, %v", n, err)
	}
}

func TestTCPPatterns(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			c, s := tcpPair(t, host)
			if c.RemoteAddr() != s.LocalAddr() || s.RemoteAddr() != c.LocalAddr() {
				t.Errorf("addresses: %v->%v, %v->%v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
			}
			send(t, c, "one\r\ntwo\nthreefour")
			ctx := context.Background()
			for _, want := range []string{"one", "two"} {
				got, err := s.Receive(ctx, Pattern{Line: true}, 5*time.Second)
				if err != nil || string(got) != want {
					t.Fatalf("line = %q, %v; want %q", got, err, want)
				}
			}
			if got, err := s.Receive(ctx, Pattern{N: 5}, 5*time.Second); err != nil || string(got) != "three" {
				t.Fatalf("5 bytes = %q, %v", got, err)
			}
			// A timeout returns what was gathered, and it is gone from the buffer.
			got, err := s.Receive(ctx, Pattern{Line: true}, 20*time.Millisecond)
			if !errors.Is(err, ErrTimeout) || string(got) != "four" {
				t.Fatalf("partial line = %q, %v", got, err)
			}
			send(t, c, "rest of it")
			c.CloseWrite()
			if got, err := s.Receive(ctx, Pattern{All: true}, 5*time.Second); err != nil || string(got) != "rest of it" {
				t.Fatalf("all = %q, %v", got, err)
			}
			// After the end, reads report it.
			if got, err := s.Receive(ctx, Pattern{N: 1}, 5*time.Second); !errors.Is(err, io.EOF) || len(got) != 0 {
				t.Fatalf("after the end = %q, %v", got, err)
			}
			// The other direction still works after CloseWrite.
			send(t, s, "back\n")
			if got, err := c.Receive(ctx, Pattern{Line: true}, 5*time.Second); err != nil || string(got) != "back" {
				t.Fatalf("back = %q, %v", got, err)
			}
		})
	}
}

func TestTCPPartialOnClose(t *testing.T) {
	c, s := tcpPair(t, "127.0.0.1")
	send(t, c, "no end of line")
	c.Close()
	got, err := s.Receive(context.Background(), Pattern{Line: true}, 5*time.Second)
	if !errors.Is(err, io.EOF) || string(got) != "no end of line" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestTCPTryReceive(t *testing.T) {
	c, s := tcpPair(t, "127.0.0.1")
	if _, ok := s.TryReceive(Pattern{Line: true}); ok {
		t.Fatal("TryReceive on an empty connection succeeded")
	}
	send(t, c, "part")
	// What a try reads is not consumed when the pattern is not met.
	for i := 0; i < 1000; i++ {
		if _, ok := s.TryReceive(Pattern{Line: true}); ok {
			t.Fatal("TryReceive returned a partial line")
		}
	}
	send(t, c, "ial\n")
	got, err := s.Receive(context.Background(), Pattern{Line: true}, 5*time.Second)
	if err != nil || string(got) != "partial" {
		t.Fatalf("got %q, %v", got, err)
	}
	if n, err := c.TrySend([]byte("quick\n")); n != 6 || err != nil {
		t.Fatalf("TrySend = %d, %v", n, err)
	}
	if got, err := s.Receive(context.Background(), Pattern{Line: true}, 5*time.Second); err != nil || string(got) != "quick" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestTCPCancel(t *testing.T) {
	c, s := tcpPair(t, "127.0.0.1")
	send(t, c, "kept")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.Receive(ctx, Pattern{Line: true}, Forever)
		done <- err
	}()
	time.AfterFunc(10*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop Receive")
	}
	// What the cancelled read gathered is still there.
	send(t, c, " safe\n")
	if got, err := s.Receive(context.Background(), Pattern{Line: true}, 5*time.Second); err != nil || string(got) != "kept safe" {
		t.Fatalf("got %q, %v", got, err)
	}

	l, err := ListenTCP(context.Background(), "127.0.0.1", 0, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		_, err := l.Accept(ctx, Forever)
		done <- err
	}()
	time.AfterFunc(10*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("accept err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop Accept")
	}
	if _, err := l.Accept(context.Background(), 10*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("accept after cancel: %v, want ErrTimeout", err)
	}
}

func TestTCPDialRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, err = Dial(context.Background(), "127.0.0.1", port, 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err = %v, want ECONNREFUSED", err)
	}
}

func TestTCPLargeSend(t *testing.T) {
	c, s := tcpPair(t, "127.0.0.1")
	big := strings.Repeat("0123456789", 1<<17) // 1.3 MB: more than the socket buffers
	errc := make(chan error, 1)
	go func() {
		_, err := c.Send(context.Background(), c.QueueSend(), []byte(big), 10*time.Second)
		errc <- err
	}()
	got, err := s.Receive(context.Background(), Pattern{N: len(big)}, 10*time.Second)
	if err != nil || string(got) != big {
		t.Fatalf("received %d bytes, %v", len(got), err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestOptions(t *testing.T) {
	c, _ := tcpPair(t, "127.0.0.1")
	for _, on := range []bool{true, false} {
		c.SetNoDelay(on)
		if v, err := c.Option("nodelay"); err != nil || (v != 0) != on {
			t.Errorf("nodelay %v: got %d, %v", on, v, err)
		}
		c.SetKeepAlive(on)
		if v, err := c.Option("keepalive"); err != nil || (v != 0) != on {
			t.Errorf("keepalive %v: got %d, %v", on, v, err)
		}
	}
	c.SetReadBuffer(100000)
	if v, _ := c.Option("rcvbuf"); v < 100000 {
		t.Errorf("rcvbuf = %d", v)
	}
	if _, err := c.Option("nonsense"); err == nil {
		t.Error("unknown option read")
	}
	// reuseaddr lets two UDP sockets share a port.
	a, err := ListenUDP(context.Background(), "127.0.0.1", 0, ListenOptions{ReuseAddr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ListenUDP(context.Background(), "127.0.0.1", int(a.LocalAddr().Port()), ListenOptions{ReuseAddr: true})
	if err != nil {
		t.Fatalf("second socket with reuseaddr: %v", err)
	}
	b.Close()
	if v, _ := a.Option("reuseaddr"); v == 0 {
		t.Error("reuseaddr not set")
	}
}

func TestMulticastMembership(t *testing.T) {
	u := listenLoop(t, "0.0.0.0")
	group := netip.MustParseAddr("239.1.2.3")
	if err := u.Join(group, "lo"); err != nil {
		t.Fatalf("Join: %v", err)
	}
	if err := u.Leave(group, "lo"); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if err := u.Join(netip.MustParseAddr("127.0.0.1"), ""); !errors.Is(err, ErrNotMulticast) {
		t.Errorf("Join of a unicast address: %v", err)
	}
	if err := u.Join(group, "no-such-interface"); err == nil {
		t.Error("Join on a missing interface succeeded")
	}
	u6 := listenLoop(t, "::")
	if err := u6.Join(netip.MustParseAddr("ff02::1:3"), "lo"); err != nil {
		t.Fatalf("Join IPv6: %v", err)
	}
}
