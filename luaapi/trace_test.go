package luaapi

import (
	"encoding/hex"
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
trace(false)
a:sendto("not traced", b:getsockname())
assert(trace.save(`+luaQuote(saved)+`) == 4)`)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`^\d\d:\d\d:\d\d\.\d{6} udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ 5B "hello"$`,
		`^\d\d:\d\d:\d\d\.\d{6} udp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ 5B "hello"$`,
		`^\S+ udp \[::1\]:\d+ -> \[::1\]:\d+ 3B 000102$`,
		`^\S+ udp \[::1\]:\d+ <- \[::1\]:\d+ 3B 000102$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ 5B "ping\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ 5B "ping\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ 5B "pong\\n"$`,
		`^\S+ tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ 5B "pong\\n"$`,
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
			"-e", "_ws.expert.severity").Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		var frames []string
		for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
			f := strings.Split(line, "|")
			payload, _ := hex.DecodeString(f[2] + f[3])
			frames = append(frames, f[0]+f[1]+" "+string(payload)+" "+f[4])
		}
		// Each packet once, though both of its ends are the session's.
		want := "127.0.0.1 hello |::1 \x00\x01\x02 |127.0.0.1 ping\n |127.0.0.1 pong\n "
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
