package luaapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// echoScript is the chapter-style TCP echo server, one task per connection.
const echoScript = `
local l = assert(listen{port = 0, host = "127.0.0.1", proto = "tcp"})
port = select(2, l:getsockname())
spawn(function()
  while true do
    local c = l:accept()
    if not c then return end
    spawn(function()
      while true do
        local line = c:receive()
        if not line then break end
        c:send(line .. "\n")
      end
      c:close()
    end)
  end
end)`

// startLuaEcho runs echoScript in a session on a goroutine of its own, as
// sockshell runs a script, and returns its address and a stop function.
func startLuaEcho(b *testing.B) (string, func()) {
	b.Helper()
	addr := make(chan string)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := New(Options{Stdout: io.Discard, Stderr: io.Discard})
		defer s.Close()
		if err := s.DoString(echoScript, "echo"); err != nil {
			b.Error(err)
			close(addr)
			return
		}
		addr <- fmt.Sprintf("127.0.0.1:%s", s.Global("port"))
		s.Drain(stop)
	}()
	a, ok := <-addr
	if !ok {
		b.FailNow()
	}
	return a, func() { close(stop); <-done }
}

// startGoEcho is the same server in plain Go: the baseline.
func startGoEcho(b *testing.B) (string, func()) {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						c.Close()
						return
					}
					if _, err := io.WriteString(c, line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String(), func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

// load sends total request lines over conns connections at once, each
// waiting for its echo, and returns requests per second.
func load(b *testing.B, addr string, conns, total int) float64 {
	b.Helper()
	clients := make([]net.Conn, conns)
	for i := range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range clients {
		n := total / conns
		if i < total%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := bufio.NewReader(c)
			for j := 0; j < n; j++ {
				if _, err := io.WriteString(c, "ping\n"); err != nil {
					b.Error(err)
					return
				}
				if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
					b.Errorf("echo %q, %v", line, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}

// BenchmarkTCPEcho runs b.N request/response round trips against the Lua
// echo server and b.N against the Go one, in the same run, with 1, 10 and
// 500 connections at once, and reports both rates and their ratio.
func BenchmarkTCPEcho(b *testing.B) {
	for _, conns := range []int{1, 10, 500} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			luaAddr, stopLua := startLuaEcho(b)
			defer stopLua()
			goAddr, stopGo := startGoEcho(b)
			defer stopGo()
			total := max(b.N, conns)
			b.ResetTimer()
			luaRate := load(b, luaAddr, conns, total)
			goRate := load(b, goAddr, conns, total)
			b.StopTimer()
			b.ReportMetric(luaRate, "lua-req/s")
			b.ReportMetric(goRate, "go-req/s")
			b.ReportMetric(luaRate/goRate, "lua/go")
		})
	}
}

// heapInUse is the heap and goroutine stacks in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkIdleConnMemory opens 500 idle connections to each server and
// reports the memory each costs the process (heap and stacks), Lua
// server beside Go server.
func BenchmarkIdleConnMemory(b *testing.B) {
	const idle = 500
	measure := func(start func(*testing.B) (string, func())) float64 {
		addr, stop := start(b)
		defer stop()
		load(b, addr, 1, 1) // the server is up and serving
		before := heapInUse()
		conns := make([]net.Conn, idle)
		for i := range conns {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			conns[i] = c
		}
		// Each connection is served (its task waits in receive) once it
		// has answered a request.
		for _, c := range conns {
			io.WriteString(c, "up\n")
			if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "up\n" {
				b.Fatalf("echo %q, %v", line, err)
			}
		}
		return float64(heapInUse()-before) / idle
	}
	var lua, gomem float64
	for i := 0; i < b.N; i++ {
		// Go first: its stop waits for all its goroutines, so nothing of
		// it is left to be freed during the other measure.
		gomem = measure(startGoEcho)
		lua = measure(startLuaEcho)
	}
	b.ReportMetric(lua, "lua-bytes/conn")
	b.ReportMetric(gomem, "go-bytes/conn")
	b.ReportMetric(lua/gomem, "lua/go")
}
