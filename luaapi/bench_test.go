package luaapi

import (
	"bufio"
	"context"
	"encoding/binary"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/sock"
)

// feeder sends 32-byte datagrams to port in bursts, each after the receiver
// acknowledged the previous one.
type feeder struct {
	acks chan struct{}
	done chan struct{}
}

func startFeeder(b *testing.B, port, total, burst int) *feeder {
	b.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		b.Fatal(err)
	}
	f := &feeder{acks: make(chan struct{}, 1), done: make(chan struct{})}
	payload := []byte("received message:0123456789abcde")
	go func() {
		defer close(f.done)
		defer c.Close()
		for sent := 0; sent < total; {
			n := min(burst, total-sent)
			for i := 0; i < n; i++ {
				if _, err := c.Write(payload); err != nil {
					b.Error(err)
					return
				}
			}
			sent += n
			<-f.acks
		}
	}()
	return f
}

func (f *feeder) ack() { f.acks <- struct{}{} }

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs loop, which must receive n datagrams, on a locked thread and
// returns the wall and CPU time per datagram.
func measure(b *testing.B, n int, loop func()) (wall, cpu float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, c0 := time.Now(), threadCPU()
	loop()
	return float64(time.Since(t0).Nanoseconds()) / float64(n), float64((threadCPU() - c0).Nanoseconds()) / float64(n)
}

// BenchmarkRecvfromLoop receives b.N datagrams with the chapter's loop in
// Lua (s:recvfrom(1024) into data, ip, port) and b.N with a pure-Go
// sock.UDPConn.ReadFrom loop, in the same run, and reports both and their
// ratio: wall ns and receiving-thread CPU ns per datagram. In "queued" the
// sender keeps 64 datagrams in flight (few enough that the socket buffer
// never drops one), so that most reads find theirs there; in "waits" it
// sends each once the previous was read, so that most reads wait for
// theirs in the kernel, as a receiver of a paced stream does.
func BenchmarkRecvfromLoop(b *testing.B) {
	b.Run("queued", func(b *testing.B) { benchRecvfromLoop(b, 64) })
	b.Run("waits", func(b *testing.B) { benchRecvfromLoop(b, 1) })
}

func benchRecvfromLoop(b *testing.B, burst int) {
	var out nopWriter
	s := New(Options{Stdout: out, Stderr: out})
	defer s.Close()
	var f *feeder
	setFunc(s, "ack", func(*lua.LState) int { f.ack(); return 0 })
	fn, err := s.Compile(`
local s, n, burst = ...
for i = 1, n do
  local data, ip, port = s:recvfrom(1024)
  if i % burst == 0 or i == n then ack() end
end`, "bench")
	if err != nil {
		b.Fatal(err)
	}
	open, _ := s.Compile(`s = listen(0, "127.0.0.1"); return s, select(2, s:getsockname())`, "bench")
	res, err := s.Call(open)
	if err != nil {
		b.Fatal(err)
	}
	luaSock, port := res[0], int(res[1].(lua.LNumber))

	goConn, err := sock.ListenUDP(context.Background(), "127.0.0.1", 0, sock.ListenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer goConn.Close()

	b.ResetTimer()
	f = startFeeder(b, port, b.N, burst)
	luaWall, luaCPU := measure(b, b.N, func() {
		if _, err := s.Call(fn, luaSock, lua.LNumber(b.N), lua.LNumber(burst)); err != nil {
			b.Fatal(err)
		}
	})
	<-f.done

	f = startFeeder(b, int(goConn.LocalAddr().Port()), b.N, burst)
	goWall, goCPU := measure(b, b.N, func() {
		m := sock.Message{Buf: make([]byte, 1024)}
		ctx, cancel := context.WithCancel(context.Background()) // a chunk's context, as the Lua loop has
		defer cancel()
		for i := 1; i <= b.N; i++ {
			if err := goConn.ReadFrom(ctx, &m, sock.Forever); err != nil {
				b.Fatal(err)
			}
			_ = m.Addr.Addr().String() // the ip string the Lua loop gets
			if i%burst == 0 || i == b.N {
				f.ack()
			}
		}
	})
	<-f.done
	b.StopTimer()

	b.ReportMetric(luaWall, "lua-ns/dgram")
	b.ReportMetric(goWall, "go-ns/dgram")
	b.ReportMetric(luaCPU, "lua-cpu-ns/dgram")
	b.ReportMetric(goCPU, "go-cpu-ns/dgram")
	b.ReportMetric(luaCPU/goCPU, "lua/go-cpu")
	b.ReportMetric(1e9/luaWall, "lua-dgram/s")
	b.ReportMetric(1e9/goWall, "go-dgram/s")
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkPrintFormat is the chapter receiver's output for one datagram,
// print(("received message:%s from PORT%d on %s"):format(...)), written
// to a file through a 64 KiB buffer as standard output is off a terminal.
func BenchmarkPrintFormat(b *testing.B) {
	f, err := os.CreateTemp(b.TempDir(), "out")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	defer w.Flush()
	s := New(Options{Stdout: w, Stderr: w})
	defer s.Close()
	benchLines(b, s, `
local n, data = ...
for i = 1, n do
  print(("received message:%s from PORT%d on %s"):format(data, 54321, "127.0.0.1"))
end`)
}

// BenchmarkFormat is string.format of the chapter's line alone.
func BenchmarkFormat(b *testing.B) {
	s := New(Options{Stdout: nopWriter{}, Stderr: nopWriter{}})
	defer s.Close()
	benchLines(b, s, `
local n, data = ...
local fmt = "received message:%s from PORT%d on %s"
for i = 1, n do
  local line = fmt:format(data, 54321, "127.0.0.1")
end`)
}

// benchLines runs the chunk src in s with b.N and a 64-byte datagram's
// text as its arguments, timed, with its allocations.
func benchLines(b *testing.B, s *Session, src string) {
	fn, err := s.Compile(src, "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := s.Call(fn, lua.LNumber(b.N), lua.LString(strings.Repeat("abcdefghijklmnop", 4))); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkNew is a session's opening and closing, which every start of
// sockshell pays.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := New(Options{Stdout: nopWriter{}, Stderr: nopWriter{}})
		s.Close()
	}
}

// BenchmarkCoroutine is a coroutine's life: created, resumed to a yield,
// resumed to its end.
func BenchmarkCoroutine(b *testing.B) {
	s := New(Options{Stdout: nopWriter{}, Stderr: nopWriter{}})
	defer s.Close()
	benchLines(b, s, `
local n = ...
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield
local function body(a) yield(a) return a end
for i = 1, n do
  local co = create(body)
  resume(co, i) resume(co)
end`)
}

// BenchmarkPackDNS packs and unpacks a DNS header and question with pack
// and unpack from Lua, beside the same in plain Go, in the same run.
func BenchmarkPackDNS(b *testing.B) {
	s := New(Options{})
	defer s.Close()
	fn, err := s.Compile(`
local n = ...
for i = 1, n do
  local msg = pack(">I2 I2 I2 I2 I2 I2 s1 s1 s1 B I2 I2", i % 65536, 0x0100, 1, 0, 0, 0,
                   "www", "example", "test", 0, 1, 1)
  local id, flags, qd, an, ns, ar, l1, l2, l3, z, qtype, qclass = unpack(">I2 I2 I2 I2 I2 I2 s1 s1 s1 B I2 I2", msg)
end`, "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	luaStart := time.Now().UnixNano()
	if _, err := s.Call(fn, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
	luaNs := float64(time.Now().UnixNano()-luaStart) / float64(b.N)
	goStart := time.Now().UnixNano()
	var sink uint16
	for i := 0; i < b.N; i++ {
		msg := make([]byte, 0, 40)
		msg = binary.BigEndian.AppendUint16(msg, uint16(i))
		for _, v := range []uint16{0x0100, 1, 0, 0, 0} {
			msg = binary.BigEndian.AppendUint16(msg, v)
		}
		for _, label := range []string{"www", "example", "test"} {
			msg = append(append(msg, byte(len(label))), label...)
		}
		msg = append(msg, 0, 0, 1, 0, 1)
		// Read it back.
		off := 12
		for msg[off] != 0 {
			off += int(msg[off]) + 1
		}
		sink += binary.BigEndian.Uint16(msg[0:]) + binary.BigEndian.Uint16(msg[off+1:])
	}
	goNs := float64(time.Now().UnixNano()-goStart) / float64(b.N)
	_ = sink
	b.ReportMetric(luaNs, "lua-ns/msg")
	b.ReportMetric(goNs, "go-ns/msg")
	b.ReportMetric(luaNs/goNs, "lua/go")
}
