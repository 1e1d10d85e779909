package luaapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture.read and capture.each over what trace.save wrote (five
// datagrams; a connection's handshake, three segments, and one chunk of
// data): the packets
// come back as tables, filters pick them, a file cut short keeps the
// packets before the cut and says so, and --safe reads only what
// --allow-read grants.
func TestCaptureInLua(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.pcapng")
	s, out := newTestSession(t)
	run(t, s, `local file = ...
s = listen(0, "127.0.0.1")
port = select(2, s:getsockname())
trace(true)
for i = 1, 5 do s:sendto("d" .. i, "127.0.0.1", port) end
for i = 1, 5 do s:recvfrom(10, 1) end
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local a = l:accept()
c:send("over tcp")
a:receive(8)
trace.save("`+file+`")
trace(false)`)
	got := run(t, s, `local file = "`+file+`"
local all = capture.read(file)
local udp = capture.read(file, "udp and dst port " .. port)
local n = 0
for p in capture.each(file, function(p) return p.proto == "tcp" and #p.data > 0 end) do n = n + 1; assert(p.data == "over tcp", p.data) end
assert(udp[1].data == "d1" and udp[5].data == "d5" and udp[1].src == "127.0.0.1", udp[1].data)
return #all, #udp, n`)
	if len(got) != 3 || got[0].String() != "9" || got[1].String() != "5" || got[2].String() != "1" {
		t.Errorf("got %v\n%s", got, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcapng")
	os.WriteFile(cut, data[:len(data)-10], 0o644)
	got = run(t, s, `local list, err = capture.read("`+cut+`")
local ok, eachErr = pcall(function() local n = 0 for p in capture.each("`+cut+`") do n = n + 1 end return n end)
return #list, err, ok, eachErr`)
	if got[0].String() != "8" || !strings.Contains(got[1].String(), "cut.pcapng: packet 9: the capture ends inside a packet") ||
		got[2].String() != "false" || !strings.Contains(got[3].String(), "packet 9: the capture ends inside a packet") {
		t.Errorf("cut file: %v", got)
	}

	safe := New(Options{Safe: true, Stdout: out, Stderr: out})
	defer safe.Close()
	got = run(t, safe, `return capture.read("`+file+`")`)
	if got[0].String() != "nil" || !strings.Contains(got[1].String(), "is not allowed in --safe mode (--allow-read=") {
		t.Errorf("--safe: %v", got)
	}
}
