package procmem

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	lua "github.com/yuin/gopher-lua"
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

// Start starts, once per process, what runs after each collection:
// pacing the collector, unless GOGC is set, and the memory budget's watch
// over the heap (Poked).
func Start() {
	paceOnce.Do(func() {
		p := &pacer{live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}}
		if _, set := os.LookupEnv("GOGC"); !set {
			p.percent = paceMax
			debug.SetGCPercent(p.percent)
		}
		p.arm()
	})
}

// pacer sets the collector's percent after each collection, from the
// live heap it left (percent 0: GOGC is set, the percent is left alone),
// and pokes the Lua code that runs when that heap is past liveLimit.
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
	live := p.live[0].Value.Uint64()
	if want := pacePercent(live); p.percent != 0 && want != p.percent {
		p.percent = want
		debug.SetGCPercent(want)
	}
	if stacks := p.live[1].Value.Uint64(); int64(live+stacks) > liveLimit() {
		lua.Poke()
	} else {
		raisedAt.Store(0)
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
