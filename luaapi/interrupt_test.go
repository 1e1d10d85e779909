package luaapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInterrupterRearms(t *testing.T) {
	c := newInterrupter()
	if c.Err() != nil {
		t.Fatal("new interrupter is cancelled")
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(c, func() { close(fired) })
	stopped := context.AfterFunc(c, func() { t.Error("stopped func ran") })
	if !stopped() {
		t.Fatal("stop of a pending func reported false")
	}
	if !c.cancel(ErrInterrupted) || c.cancel(errExit) {
		t.Fatal("cancel should succeed once")
	}
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc did not run on cancel")
	}
	if stop() {
		t.Error("stop after firing reported true")
	}
	if !errors.Is(c.Err(), ErrInterrupted) {
		t.Errorf("Err = %v", c.Err())
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after cancel")
	}
	c.rearm()
	if c.Err() != nil {
		t.Error("Err after rearm")
	}
	select {
	case <-c.Done():
		t.Fatal("Done closed after rearm")
	default:
	}
	// A context derived before the interrupt sees later ones too.
	late := make(chan struct{})
	context.AfterFunc(c, func() { close(late) })
	c.cancel(ErrInterrupted)
	select {
	case <-late:
	case <-time.After(5 * time.Second):
		t.Fatal("second interrupt not delivered")
	}
}
