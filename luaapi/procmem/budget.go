// Package procmem is the memory budget of the whole process: how much
// memory Lua code may make it use, whichever session runs the code. It
// sets Go's soft memory limit from the budget, checks the allocations that
// code sizes (Check, Alloc), and watches the live heap after every
// collection (Start), poking the running Lua code (Poked) when many small
// objects have taken it past the budget. There is one budget per process,
// as there is one heap: a session cannot have its own.
package procmem

import (
	"errors"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// The memory budget: how much memory Lua code may make the process use.
// Every allocation a script sizes (string.rep, concatenation, a receive of
// n bytes, …) is checked against it and raises "not enough memory", which
// pcall catches, where Go would otherwise end the process; Go's soft
// memory limit is set from it too, so the collector works harder as it
// nears.

// ErrNoMemory is C Lua's message for a failed allocation.
var ErrNoMemory = errors.New("not enough memory")

var (
	budget     atomic.Int64
	budgetOnce sync.Once
)

// SetBudget sets the budget in bytes (0: DefaultBudget) and
// Go's soft memory limit from it, and returns the budget.
func SetBudget(n int64) int64 {
	if n <= 0 {
		n = DefaultBudget()
	}
	budget.Store(n)
	debug.SetMemoryLimit(n)
	return n
}

// Budget is the budget in force; the first session sets the default
// one if none was set.
func Budget() int64 {
	budgetOnce.Do(func() {
		if budget.Load() == 0 {
			SetBudget(0)
		}
	})
	return budget.Load()
}

// DefaultBudget is three quarters of the memory the process can have:
// the machine's, or its control group's limit when that is lower.
func DefaultBudget() int64 {
	total := machineMemory()
	if total <= 0 {
		total = 8 << 30
	}
	cgroup, _ := os.ReadFile("/proc/self/cgroup")
	return groupLimit(total, groupLimitFiles(string(cgroup), "/sys/fs/cgroup")) / 4 * 3
}

// groupLimitFiles are the files that hold the memory limits of the
// process's own control group and of every group above it, which bound it
// too: cgroup v2's memory.max and v1's memory.limit_in_bytes, found from
// cgroup (the text of /proc/self/cgroup) under root (/sys/fs/cgroup).
func groupLimitFiles(cgroup, root string) []string {
	var files []string
	for _, line := range strings.Split(cgroup, "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir, name string
		switch {
		case f[0] == "0" && f[1] == "":
			dir, name = root, "memory.max"
		case slices.Contains(strings.Split(f[1], ","), "memory"):
			dir, name = filepath.Join(root, "memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		for p := path.Clean("/" + f[2]); ; p = path.Dir(p) {
			files = append(files, filepath.Join(dir, p, name))
			if p == "/" {
				break
			}
		}
	}
	return files
}

// groupLimit is total, or the lowest limit in the files that exist when
// that is lower ("max", or a huge number, when a group has none).
func groupLimit(total int64, files []string) int64 {
	limit := total
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n < limit {
			limit = n
		}
	}
	return limit
}

// ParseSize reads a size such as 512M, 2G, 1.5g or 1000000 (bytes).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := float64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) || f*mult > math.MaxInt64/2 {
		return 0, errors.New("a size such as 512M or 2G")
	}
	return int64(f * mult), nil
}

// CheckMin is the size below which an allocation is not checked.
const CheckMin = 1 << 16

var heapSample = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
}
var heapMu sync.Mutex

// heapBytes is the bytes of live and not yet collected heap objects, and
// of goroutines' stacks (a task's among them).
func heapBytes() int64 {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSample)
	return int64(heapSample[0].Value.Uint64() + heapSample[1].Value.Uint64())
}

// Check reports ErrNoMemory when n more bytes would take the process
// past the budget (after a collection, if one could make room).
func Check(n int64) error {
	if n < 0 {
		return ErrNoMemory // more than an int64 holds
	}
	if n < CheckMin {
		return nil
	}
	if b := Budget(); n > b || !fits(n, b) {
		return ErrNoMemory
	}
	return nil
}

// fits tells whether n more bytes keep the heap within limit, after a
// collection when they would not before it.
func fits(n, limit int64) bool {
	if heapBytes()+n <= limit {
		return true
	}
	runtime.GC()
	return heapBytes()+n <= limit
}

// Alloc raises "not enough memory" in L when n bytes (n < 0: more than an
// int holds) would pass the budget. Before it gives up it drops what L's
// stack holds above its top and its stale call frames (of calls that
// failed, which may hold what the budget went to) and collects again.
func Alloc(L *lua.LState, n int64) {
	if Check(n) == nil {
		return
	}
	L.ClearAboveTop()
	L.ClearStaleFrames()
	if err := Check(n); err != nil {
		L.Error(lua.LString(err.Error()), 0)
	}
}

// liveLimit is how much of the budget live objects may hold: seven
// eighths. Go's soft limit counts all the memory the runtime keeps, so as
// live objects near the budget the collector runs without end and frees
// nothing: the rest is its room to work.
func liveLimit() int64 {
	b := Budget()
	return b - b/8
}

// Poked is what Lua code does when poked (lua.Poke) because live
// objects passed liveLimit after a collection (the pacer): memory that no
// one call sized, grown by many small objects (a table filled, closures,
// coroutines, tasks, a reply read piece by piece), which no check before
// an allocation sees. When a collection, with L's stale registers and
// frames dropped, leaves them past it still, the code raises "not enough
// memory", as a failed allocation does in C Lua; pcall catches it, and
// what the caught code held is free again.
//
// After the error, the code that caught it may go on with what it still
// holds — print how far it got, drop it — as after a failed allocation in
// C Lua: the next poke raises only past the heap it was raised at plus a
// sixteenth of the budget (never past the budget), so that code that goes
// on growing meets the error again soon. The pacer forgets that level once
// live objects are back under liveLimit.
func Poked(L *lua.LState) {
	limit := liveLimit()
	if at := raisedAt.Load(); at > 0 {
		b := Budget()
		limit = max(limit, min(at+b/16, b))
	}
	if heapBytes() <= limit {
		return
	}
	L.ClearAboveTop()
	L.ClearStaleFrames()
	if !fits(0, limit) {
		raisedAt.Store(heapBytes())
		L.Error(lua.LString(ErrNoMemory.Error()), 0)
	}
}

// raisedAt is the heap at which Poked last raised, 0 once live
// objects were back under liveLimit.
var raisedAt atomic.Int64

// Reserve raises "not enough memory" in L unless room bytes below
// liveLimit are free (after a collection, if needed): for what holds
// memory until it ends, such as a task, which must leave room for the
// code that would end it.
func Reserve(L *lua.LState, room int64) {
	if !fits(room, liveLimit()) {
		L.Error(lua.LString(ErrNoMemory.Error()), 0)
	}
}

// MulSize is a*b, or -1 when it overflows.
func MulSize(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a < 0 || b < 0 || a > math.MaxInt64/b {
		return -1
	}
	return a * b
}
