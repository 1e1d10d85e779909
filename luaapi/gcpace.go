package luaapi

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The collector's pace. Go collects once the heap has grown by GOGC
// percent (100) over what the last collection left live, and at least
// 4 MB. gopher-lua boxes most numbers Lua code computes, so a loop over
// numbers allocates all the time while almost nothing stays live: the
// collector then runs hundreds of times a second, and while it marks,
// every store of a Lua value pays a write barrier — a third of such a
// loop's time. The pacer gives the heap room to grow by minGrowth at
// least before a collection, and by GOGC's 100 % once the live heap is
// larger than that: a program with a small heap takes up to minGrowth
// more memory, one with a large heap no more than before. The memory
// budget's soft limit still makes the collector work harder as the
// process nears it. A GOGC set in the environment is left alone.

// minGrowth is how much the heap may grow between two collections, at
// least.
const minGrowth = 16 << 20

// The percents the pacer sets stay within these: Go's default, and where
// Go's own 4 MB minimum, scaled by the percent, reaches minGrowth.
const (
	paceMin = 100
	paceMax = 100 * minGrowth / (4 << 20)
)

var paceOnce sync.Once

// startPacer starts pacing the collector, once per process, unless GOGC
// is set.
func startPacer() {
	paceOnce.Do(func() {
		if _, set := os.LookupEnv("GOGC"); set {
			return
		}
		p := &pacer{percent: paceMax, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		debug.SetGCPercent(p.percent)
		p.arm()
	})
}

// pacer sets the collector's percent after each collection, from the
// live heap it left.
type pacer struct {
	percent int
	live    []metrics.Sample
}

// paceSentinel is an object that nothing keeps: its cleanup runs after
// the collection that found it, once per collection.
type paceSentinel struct{ _ *int }

// arm makes the sentinel of the next collection.
func (p *pacer) arm() {
	runtime.AddCleanup(&paceSentinel{}, (*pacer).pace, p)
}

// pace sets the percent for the live heap, and arms the next collection.
// One sentinel is armed at a time: p is used by one goroutine at once.
func (p *pacer) pace() {
	metrics.Read(p.live)
	if want := pacePercent(p.live[0].Value.Uint64()); want != p.percent {
		p.percent = want
		debug.SetGCPercent(want)
	}
	p.arm()
}

// pacePercent is the percent that lets a heap of live bytes grow by
// max(live, minGrowth) before the next collection.
func pacePercent(live uint64) int {
	if live == 0 {
		return paceMax
	}
	return int(min(max(100*minGrowth/live, paceMin), paceMax))
}
