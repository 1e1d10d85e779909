package luaapi

import (
	"io"
	"runtime"
	"syscall"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// The chapter's loops allocate only the values Lua code gets: per echoed
// datagram, each received string and the line that string.format makes
// (one allocation each: bytes and box in one block, lua.LStringBytes), and nothing for the sender's address and port,
// the reply's address, print's line, sendto's count or data:lower().
func TestDatagramLoopAllocations(t *testing.T) {
	s := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	defer s.Close()
	fn, err := s.Compile(`
local n = ...
local a = assert(listen(0, "127.0.0.1"))
local b = assert(listen(0, "127.0.0.1"))
local aport = select(2, a:getsockname())
local payload = string.rep("x", 64)
local function round()
  b:sendto(payload, "127.0.0.1", aport)
  local data, ip, port = a:recvfrom(1024)
  print(("received message:%s from PORT%d on %s"):format(data, port, ip))
  if data:lower() == "bye" then error("bye") end
  a:sendto(data, ip, port)
  assert(b:recvfrom(1024) == payload)
end
for i = 1, 100 do round() end -- buffers and caches made once
collectgarbage()
mark()
for i = 1, n do round() end
mark()
a:close() b:close()`, "loop")
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	per := allocationsPer(t, s, fn, n)
	t.Logf("%.2f allocations per round", per)
	// Two received strings and the formatted line: 3.
	if per > 3.5 {
		t.Errorf("%.2f allocations per round, want at most 3", per)
	}
}

// A script's read that waits for its datagram in the kernel, as a
// receiver of a paced stream does for most, allocates only the string it
// returns (one block for its bytes and its box): nothing for the wait
// itself.
func TestWaitingReadAllocations(t *testing.T) {
	s := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	defer s.Close()
	fn, err := s.Compile(`
local n = ...
local a = assert(listen(0, "127.0.0.1"))
ready(select(2, a:getsockname()))
local function round()
  local data = a:recvfrom(1024, 10)
  if not data then error("no datagram came") end
end
for i = 1, 100 do round() end
collectgarbage()
mark()
for i = 1, n do round() end
mark()
a:close()`, "loop")
	if err != nil {
		t.Fatal(err)
	}
	// A sender that allocates nothing: a connected socket written with
	// write(2), one datagram each time a read begins to wait.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	waits := make(chan struct{}, 1)
	waitingAlone = func() { waits <- struct{}{} }
	defer func() { waitingAlone = func() {} }()
	stop := make(chan struct{})
	defer close(stop)
	s.Register("ready", func(L *lua.LState) int {
		sa := &syscall.SockaddrInet4{Port: L.CheckInt(1), Addr: [4]byte{127, 0, 0, 1}}
		if err := syscall.Connect(fd, sa); err != nil {
			L.RaiseError("connect: %v", err)
		}
		go func() {
			payload := make([]byte, 64)
			for {
				select {
				case <-waits:
					syscall.Write(fd, payload)
				case <-stop:
					return
				}
			}
		}()
		return 0
	})
	const n = 2000
	per := allocationsPer(t, s, fn, n)
	t.Logf("%.2f allocations per read", per)
	if per > 1.5 {
		t.Errorf("%.2f allocations per read, want at most 1", per)
	}
}

// allocationsPer calls fn(n), which calls mark() before and after n
// rounds of what is measured, and returns the allocations per round.
func allocationsPer(t *testing.T, s *Session, fn *lua.LFunction, n int) float64 {
	t.Helper()
	var marks []uint64
	s.Register("mark", func(*lua.LState) int {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		marks = append(marks, ms.Mallocs)
		return 0
	})
	if _, err := s.Call(fn, lua.LNumber(n)); err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 {
		t.Fatalf("mark() called %d times, want 2", len(marks))
	}
	return float64(marks[1]-marks[0]) / float64(n)
}
