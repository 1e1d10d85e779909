package luaapi

import (
	"fmt"
	"io"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// BenchmarkPcall runs b.N pcalls of an empty function at the top of a
// chunk and b.N inside a task, in the same run, and reports both and
// their ratio.
func BenchmarkPcall(b *testing.B) {
	s := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	defer s.Close()
	if err := s.DoString(`
local function f() end
function loop(n) for i = 1, n do pcall(f) end end`, "bench"); err != nil {
		b.Fatal(err)
	}
	timeChunk := func(src string) float64 {
		fn, err := s.Compile(src, "bench")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := s.Call(fn); err != nil {
			b.Fatal(err)
		}
		return float64(time.Since(start).Nanoseconds()) / float64(b.N)
	}
	b.ResetTimer()
	top := timeChunk(fmt.Sprintf("loop(%d)", b.N))
	task := timeChunk(fmt.Sprintf("spawn(loop, %d):wait()", b.N))
	b.StopTimer()
	b.ReportMetric(top, "top-ns/pcall")
	b.ReportMetric(task, "task-ns/pcall")
	b.ReportMetric(task/top, "task/top")
}

// BenchmarkTasksEnd spawns 10000 tasks that each give way once and end,
// waits for them, and reports the heap still in use (after a collection)
// beside the heap before: what ended tasks keep.
func BenchmarkTasksEnd(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		s := New(Options{Stdout: io.Discard, Stderr: io.Discard})
		before := heapInUse()
		start := time.Now()
		if err := s.DoString(fmt.Sprintf(`
local all = {}
for i = 1, %d do all[i] = spawn(function() sleep(0) return i end) end
for i = 1, #all do all[i]:wait() end`, n), "bench"); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		after := heapInUse()
		b.ReportMetric(float64(took.Microseconds())/n, "µs/task")
		b.ReportMetric(float64(int64(after)-int64(before))/(1<<20), "MB-kept")
		s.Close()
	}
}

// BenchmarkComputeBound runs fib(27) in a session chunk (stoppable by
// Ctrl-C at any instruction) and in a plain gopher-lua state without a
// context, in the same run, and reports both and their ratio.
func BenchmarkComputeBound(b *testing.B) {
	const src = `local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(27)`
	s := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	defer s.Close()
	fn, err := s.Compile(src, "bench")
	if err != nil {
		b.Fatal(err)
	}
	plain := lua.NewState()
	defer plain.Close()
	pfn, err := plain.LoadString(src)
	if err != nil {
		b.Fatal(err)
	}
	var session, bare time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := s.Call(fn); err != nil {
			b.Fatal(err)
		}
		session += time.Since(t0)
		t0 = time.Now()
		plain.Push(pfn)
		if err := plain.PCall(0, 1, nil); err != nil {
			b.Fatal(err)
		}
		plain.Pop(1)
		bare += time.Since(t0)
	}
	b.ReportMetric(float64(session.Milliseconds())/float64(b.N), "session-ms")
	b.ReportMetric(float64(bare.Milliseconds())/float64(b.N), "plain-ms")
	b.ReportMetric(float64(session)/float64(bare), "session/plain")
}
