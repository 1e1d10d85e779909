package turn

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Tickets are granted in the order they were asked for, whatever order
// their goroutines run in.
func TestFIFO(t *testing.T) {
	var tr Turn
	tr.Lock()
	const n = 50
	tickets := make([]*Ticket, n)
	for i := range tickets {
		tickets[i] = tr.Ask()
	}
	order := make(chan int, n)
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- { // goroutines start in reverse
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tickets[i].Wait()
			order <- i
			tr.Unlock()
		}(i)
	}
	tr.Unlock()
	wg.Wait()
	close(order)
	want := 0
	for got := range order {
		if got != want {
			t.Fatalf("granted %d, want %d", got, want)
		}
		want++
	}
	if !tr.TryLock() {
		t.Fatal("turn not free at the end")
	}
}

// A waiter gives up at its deadline or its context's end without taking
// the turn; a turn granted as it gives up passes on.
func TestWaitUntil(t *testing.T) {
	var tr Turn
	tr.Lock()
	start := time.Now()
	if err := tr.Ask().WaitUntil(context.Background(), time.Now().Add(20*time.Millisecond)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("deadline: %v", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("gave up after %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tr.Ask().WaitUntil(ctx, time.Time{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if tr.Waiting() != 0 {
		t.Fatalf("%d still queued", tr.Waiting())
	}
	next := tr.Ask()
	tr.Unlock()
	if err := next.WaitUntil(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	tr.Unlock()
	if !tr.TryLock() {
		t.Fatal("turn not free")
	}
}

// Yield lets everyone queued go first, then returns the turn.
func TestYield(t *testing.T) {
	var tr Turn
	tr.Lock()
	tr.Yield() // nobody waits: at once
	var log []string
	other := tr.Ask()
	done := make(chan struct{})
	go func() {
		other.Wait()
		log = append(log, "other")
		tr.Unlock()
		close(done)
	}()
	tr.Yield()
	log = append(log, "me")
	<-done
	if len(log) != 2 || log[0] != "other" || log[1] != "me" {
		t.Errorf("order %v", log)
	}
	tr.Unlock()
}
