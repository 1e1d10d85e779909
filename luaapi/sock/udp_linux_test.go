package sock

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A bound UDP socket's receive buffer is as large as the system lets a
// program ask for, up to RecvBuffer (Linux doubles what it grants), unless
// its default is larger, so that a burst waits to be read instead of being
// dropped.
func TestListenRaisesReceiveBuffer(t *testing.T) {
	sysctl := func(name string) int {
		b, err := os.ReadFile("/proc/sys/net/core/" + name)
		if err != nil {
			t.Skip("no /proc/sys/net/core:", err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(name, err)
		}
		return n
	}
	// A socket starts with rmem_default; asked for more, Linux grants
	// twice what rmem_max allows.
	want := sysctl("rmem_default")
	if RecvBuffer > want {
		want = 2 * min(RecvBuffer, sysctl("rmem_max"))
	}
	c, err := ListenUDP(context.Background(), "127.0.0.1", 0, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.Option("rcvbuf"); err != nil || got != want {
		t.Errorf("rcvbuf = %d, %v; want %d", got, err, want)
	}
	// What a script sets still wins.
	if err := c.SetReadBuffer(65536); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Option("rcvbuf"); got != 2*65536 {
		t.Errorf("rcvbuf after setting 65536 = %d", got)
	}
}

// Wake makes a read that waits in the kernel look at its context at once:
// 20 reads, each cancelled as soon as it is about to wait, end in well
// under the 50 ms slice after which each would have looked by itself.
func TestWakeEndsAWaitingRead(t *testing.T) {
	rx := listenLoop(t, "127.0.0.1")
	var took time.Duration
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- rx.ReadFrom(ctx, &Message{Size: 64}, Forever) }()
		for deadline := time.Now().Add(5 * time.Second); rx.waker.tid.Load() == 0; {
			if time.Now().After(deadline) {
				t.Fatal("the read did not begin to wait")
			}
			runtime.Gosched()
		}
		began := time.Now()
		cancel()
		// Again every millisecond: the read may not have entered the
		// kernel yet.
		rx.Wake()
		again := time.NewTicker(time.Millisecond)
	wait:
		for {
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("read %d: %v, want context.Canceled", i, err)
				}
				break wait
			case <-again.C:
				rx.Wake()
			case <-time.After(5 * time.Second):
				t.Fatalf("read %d did not end", i)
			}
		}
		again.Stop()
		took += time.Since(began)
	}
	t.Logf("20 reads ended in %v", took)
	if took > 5*readSlice {
		t.Errorf("20 reads ended in %v after their cancel, want well under a slice (%v) each", took, readSlice)
	}
}
