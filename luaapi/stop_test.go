package luaapi

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// endsInside is a context that has not ended when the VM enters a chunk
// and has ended whenever it is asked again: a Ctrl-C that comes while a
// library function works, without waiting for one.
type endsInside struct {
	context.Context
	asked atomic.Int32
}

func (c *endsInside) Err() error {
	if c.asked.Add(1) > 1 {
		return context.Canceled
	}
	return nil
}

// A gsub over a huge string stops when its context ends, within a few
// thousand matches, rather than at its end.
func TestGsubStopsWithItsContext(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	L.SetContext(&endsInside{Context: context.Background()})
	err := L.DoString(`s = ("x"):rep(1e6) r = s:gsub("x", "yy")`)
	if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Fatalf("gsub ended with %v, want the context's end", err)
	}
	if r := L.GetGlobal("r"); r != lua.LNil {
		t.Fatalf("gsub finished: r is a %s", r.Type())
	}
}
