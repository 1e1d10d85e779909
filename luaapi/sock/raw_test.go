//go:build unix

package sock

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// A raw stream's life on loopback: open, bind, listen, a connection made
// in the background, accept, bytes both ways, and the set that knows which
// descriptors are its own.
func TestRawStream(t *testing.T) {
	var set RawSet
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	srv, err := set.Open(FamilyIPv4, true)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Bind(netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(8); err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Sockname(false)
	if err != nil || addr.Port() == 0 {
		t.Fatalf("sockname %v, %v", addr, err)
	}
	if _, err := srv.Accept(); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("accept with none waiting: %v, want ErrWouldBlock", err)
	}
	cli, err := set.Open(FamilyIPv4, true)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := cli.Connect(addr); err != nil && !errors.Is(err, ErrInProgress) {
		t.Fatal(err)
	}
	if _, err := cli.Wait(ctx, Writable, deadline, nil); err != nil {
		t.Fatal(err)
	}
	if err := cli.ConnectError(); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Wait(ctx, Readable, deadline, nil); err != nil {
		t.Fatal(err)
	}
	conn, err := srv.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if peer, _ := conn.Sockname(true); peer != mustSockname(t, cli, false) {
		t.Fatalf("accepted from %v, the client is %v", peer, mustSockname(t, cli, false))
	}
	if n, err := cli.Write([]byte("ping")); n != 4 || err != nil {
		t.Fatalf("write %d, %v", n, err)
	}
	if _, err := conn.Wait(ctx, Readable, deadline, nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := conn.Read(buf); string(buf[:n]) != "ping" || err != nil {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if set.Lookup(conn.FD()) != conn || set.Lookup(0) != nil {
		t.Fatal("the set does not know its own descriptors (or knows standard input)")
	}
	fd := conn.FD()
	if !conn.Close() || conn.Close() {
		t.Fatal("Close closes once")
	}
	if set.Lookup(fd) != nil || conn.FD() != -1 {
		t.Fatal("a closed socket stays in the set")
	}
	if _, err := conn.Read(buf); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v, want ErrClosed", err)
	}
	var none *Raw
	if err := none.SetOption("keepalive", 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("a nil Raw: %v, want ErrClosed", err)
	}
}

// A wait on a raw socket ends when another goroutine closes it.
func TestRawCloseEndsWait(t *testing.T) {
	var set RawSet
	r, err := set.Open(FamilyIPv4, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Bind(netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(waiting)
		_, err := r.Wait(context.Background(), Readable, time.Now().Add(10*time.Second), nil)
		done <- err
	}()
	<-waiting
	// Close once the wait is in: it counts itself before it polls.
	for limit := time.Now().Add(10 * time.Second); r.waiters.Load() == 0; runtime.Gosched() {
		if time.Now().After(limit) {
			t.Fatal("the wait never began")
		}
	}
	r.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("wait ended with %v, want ErrClosed", err)
	}
}

// Options by name, on/off and numeric, and the datagram calls.
func TestRawDatagramAndOptions(t *testing.T) {
	var set RawSet
	a, err := set.Open(FamilyIPv4, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Bind(netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOption("broadcast", 1); err != nil {
		t.Fatal(err)
	}
	if v, err := a.Option("broadcast"); v == 0 || err != nil {
		t.Fatalf("broadcast %d, %v", v, err)
	}
	if err := a.SetOption("no-such-option", 1); err == nil {
		t.Fatal("an unknown option was set")
	}
	if err := a.SetLinger(true, 3); err != nil {
		t.Fatal(err)
	}
	if on, secs, err := a.Linger(); !on || secs != 3 || err != nil {
		t.Fatalf("linger %v %d %v", on, secs, err)
	}
	to := mustSockname(t, a, false)
	if err := a.SendTo([]byte("hello"), to); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(context.Background(), Readable, time.Now().Add(10*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, from, err := a.RecvFrom(buf)
	if string(buf[:n]) != "hello" || from != to || err != nil {
		t.Fatalf("received %q from %v, %v", buf[:n], from, err)
	}
	if _, _, err := a.RecvFrom(buf); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("nothing queued: %v, want ErrWouldBlock", err)
	}
}

func mustSockname(t *testing.T, r *Raw, peer bool) netip.AddrPort {
	t.Helper()
	ap, err := r.Sockname(peer)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
