package procmem

import (
	"os"
	"runtime"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// A loop over numbers, which allocates all the time and keeps almost
// nothing, lets the heap grow by 16 MB between collections rather than
// Go's 4 MB: a quarter as many collections, each of which makes every
// store pay a write barrier while it marks.
func TestPacerGivesSmallHeapsRoom(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set: the pacer leaves the collector alone")
	}
	Start()
	L := lua.NewState()
	defer L.Close()
	fn, err := L.LoadString(`
local n = 0
for i = 1, 4000000 do n = n + 1 end
return n`)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC() // the pacer has seen a collection's live heap
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	collections := after.NumGC - before.NumGC
	t.Logf("%d MB allocated, %d collections, %d MB live before", allocated>>20, collections, before.HeapAlloc>>20)
	if allocated < 4*minGrowth {
		t.Fatalf("the loop allocated only %d MB: it no longer shows the collector's pace", allocated>>20)
	}
	// At least 12 MB between collections on average (the first may come
	// sooner: the heap had grown before the loop).
	if most := allocated/(12<<20) + 1; uint64(collections) > most {
		t.Errorf("%d collections for %d MB, want at most %d", collections, allocated>>20, most)
	}
}

func TestPacePercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400}, {1 << 20, 400}, {4 << 20, 400}, {8 << 20, 200}, {16 << 20, 100}, {1 << 30, 100},
	} {
		if got := pacePercent(c.live); got != c.want {
			t.Errorf("pacePercent(%d MB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}
