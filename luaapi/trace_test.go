package luaapi

import (
	"encoding/hex"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sockshell/sockshell/internal/testenv"
	"github.com/sockshell/sockshell/luaapi/pcapng"
)

// trace shows each packet as a line, and trace.save writes them as a
// capture that the real tshark reads back: addresses, ports, payloads.
func TestTrace(t *testing.T) {
	s, out := newTestSession(t)
	dir := t.TempDir()
	saved, live := filepath.Join(dir, "saved.pcapng"), filepath.Join(dir, "live.pcapng")
	run(t, s, `
trace{file = `+luaQuote(live)+`}
local a, b = listen(0, "127.0.0.1"), listen(0, "127.0.0.1")
a:sendto("hello", b:getsockname())
b:recvfrom()
local six = listen(0, "::1")
sendto("\0\1\2", "::1", select(2, six:getsockname()))
six:recvfrom()
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local p = l:accept()
c:send("ping\n")
p:receive()
p:send("pong\n")
c:receive()
c:close()
assert(select(2, p:receive()) == "closed")
p:close()
trace(false)
a:sendto("not traced", b:getsockname())
assert(trace.save(`+luaQuote(saved)+`) == 7)`)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`^\d\d:\d\d:\d\d\.\d{6} udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ 5B "hello"$`,
		`^\d\d:\d\d:\d\d\.\d{6} udp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ 5B "hello"$`,
		`^\S+ udp \[::1\]:\d+ -> \[::1\]:\d+ 3B 000102$`,
		`^\S+ udp \[::1\]:\d+ <- \[::1\]:\d+ 3B 000102$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ connect$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ accept$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ 5B "ping\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ 5B "ping\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ 5B "pong\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ 5B "pong\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ close$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ peer closed$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ close$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("trace printed:\n%s", out.String())
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d: %q, want %s", i+1, lines[i], re)
		}
	}
	tshark := testenv.Need(t, "tshark", "tshark")
	for _, path := range []string{saved, live} {
		got, err := exec.Command(tshark, "-r", path, "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
			"-T", "fields", "-E", "separator=|", "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.payload", "-e", "tcp.payload",
			"-e", "tcp.flags.str").Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		var frames []string
		for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
			f := strings.Split(line, "|")
			payload, _ := hex.DecodeString(f[2] + f[3])
			frames = append(frames, f[0]+f[1]+" "+string(payload)+strings.ReplaceAll(f[4], "·", ""))
		}
		// Each packet once, though both of its ends are the session's:
		// the handshake, the data, and a FIN each way.
		want := "127.0.0.1 hello|::1 \x00\x01\x02|127.0.0.1 S|127.0.0.1 AS|127.0.0.1 A|127.0.0.1 ping\nAP|127.0.0.1 pong\nAP|" +
			"127.0.0.1 AF|127.0.0.1 A|127.0.0.1 AF|127.0.0.1 A"
		if strings.Join(frames, "|") != want {
			t.Errorf("%s: tshark read %q", filepath.Base(path), frames)
		}
	}
}

// luaQuote is a Go string as a Lua string literal.
func luaQuote(s string) string { return luaLiteral(s) }

// What a trace keeps is bounded in packets and in bytes: past either
// bound the oldest half goes, counted, and the newest stay.
func TestTraceKeepsBounded(t *testing.T) {
	var tr tracer
	data := make([]byte, 1000)
	const limit = 100000
	for i := 0; i < 1000; i++ {
		tr.keep(pcapng.Packet{Data: data[:1000-i%7]}, limit)
		if tr.keptBytes > limit {
			t.Fatalf("after %d packets %d bytes kept, over %d", i+1, tr.keptBytes, limit)
		}
	}
	if len(tr.kept)+tr.dropped != 1000 || tr.dropped == 0 {
		t.Errorf("kept %d, dropped %d of 1000", len(tr.kept), tr.dropped)
	}
	if last := tr.kept[len(tr.kept)-1]; len(last.Data) != 1000-999%7 {
		t.Errorf("the newest packet is not last: %d bytes", len(last.Data))
	}
	sum := 0
	for _, p := range tr.kept {
		sum += len(p.Data) + packetOverhead
	}
	if sum != tr.keptBytes {
		t.Errorf("keptBytes %d, the packets hold %d", tr.keptBytes, sum)
	}
	if rest := tr.kept[len(tr.kept):cap(tr.kept)]; len(rest) > 0 && rest[0].Data != nil {
		t.Error("a dropped packet's data is still held")
	}
	var many tracer
	for i := 0; i < 2*traceKeep+10; i++ {
		many.keep(pcapng.Packet{}, limit*1000)
	}
	if len(many.kept) > traceKeep || len(many.kept)+many.dropped != 2*traceKeep+10 {
		t.Errorf("by count: kept %d, dropped %d", len(many.kept), many.dropped)
	}
}

// LuaSocket's objects are traced as the native sockets are: the
// connection's opening and both ends show as lines and as segments, and
// tshark follows the stream in what trace.save wrote.
func TestTraceLuaSocketStream(t *testing.T) {
	s, out := newTestSession(t)
	saved := filepath.Join(t.TempDir(), "ls.pcapng")
	run(t, s, `local socket = require "socket"
trace(true)
local server = assert(socket.bind("127.0.0.1", 0))
local ip, port = server:getsockname()
local c = assert(socket.connect(ip, port))
local a = assert(server:accept())
c:send("question\n")
assert(a:receive() == "question")
a:send("answer\n")
assert(c:receive() == "answer")
c:shutdown("send")
assert(select(2, a:receive()) == "closed")
a:close() c:close() server:close()
trace(false)
assert(trace.save(`+luaQuote(saved)+`) == 5)`)
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && !strings.HasSuffix(f[5], "B") {
			events = append(events, f[3]+" "+strings.Join(f[5:], " "))
		}
	}
	if got, want := strings.Join(events, "|"), "-> connect|<- accept|-> shutdown|<- peer closed|-> close|-> close"; got != want {
		t.Errorf("events %q, want %q\n%s", got, want, out.String())
	}
	tshark := testenv.Need(t, "tshark", "tshark")
	follow, err := exec.Command(tshark, "-r", saved, "-q", "-z", "follow,tcp,ascii,0").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(follow), "9\nquestion\n\n\t7\nanswer\n") {
		t.Errorf("tshark follow:\n%s", follow)
	}
}

// A stream between two of the session's sockets is recorded once, in
// whichever order its two ends trace it: a native read traces as soon as
// the data is there, and may come before the writer's trace.
func TestTraceRecordsAStreamOnce(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:40001")
	b := netip.MustParseAddrPort("127.0.0.1:40002")
	for _, tc := range []struct {
		name  string
		steps func(s *Session)
	}{
		{"sent, then received", func(s *Session) {
			s.packet(nil, true, false, a, b, []byte("hello "))
			s.packet(nil, true, true, b, a, []byte("hello "))
		}},
		{"received, then sent", func(s *Session) {
			s.packet(nil, true, true, b, a, []byte("hello "))
			s.packet(nil, true, false, a, b, []byte("hello "))
		}},
		{"a send read in two parts around its trace", func(s *Session) {
			s.packet(nil, true, true, b, a, []byte("hel"))
			s.packet(nil, true, false, a, b, []byte("hello "))
			s.packet(nil, true, true, b, a, []byte("lo "))
		}},
		{"received early, sent in two writes", func(s *Session) {
			s.packet(nil, true, true, b, a, []byte("hello "))
			s.packet(nil, true, false, a, b, []byte("hel"))
			s.packet(nil, true, false, a, b, []byte("lo "))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSession(t)
			run(t, s, "trace{quiet = true}")
			tc.steps(s)
			// And more after it, sent first, as usual.
			s.packet(nil, true, false, a, b, []byte("world"))
			s.packet(nil, true, true, b, a, []byte("world"))
			s.tracer.mu.Lock()
			defer s.tracer.mu.Unlock()
			var got []byte
			for _, p := range s.tracer.kept {
				if p.Src != a || p.Dst != b {
					t.Errorf("a packet from %v to %v", p.Src, p.Dst)
				}
				got = append(got, p.Data...)
			}
			if string(got) != "hello world" {
				t.Errorf("recorded %q, want %q", got, "hello world")
			}
		})
	}
	// A stream from a host outside the session is recorded as it comes.
	s, _ := newTestSession(t)
	run(t, s, "trace{quiet = true}")
	for range 3 {
		s.packet(nil, true, true, b, a, []byte("in"))
	}
	s.tracer.mu.Lock()
	defer s.tracer.mu.Unlock()
	if len(s.tracer.kept) != 3 {
		t.Errorf("%d packets of 3 received recorded", len(s.tracer.kept))
	}
}
