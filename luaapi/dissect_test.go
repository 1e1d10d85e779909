package luaapi

import (
	"regexp"
	"strings"
	"testing"
)

// A dissector decodes the traffic of its ports in trace's lines — UDP
// and TCP, native and LuaSocket, in the order the traffic went — and in
// show() of a captured packet; one that fails or declines leaves the bytes
// as they are.
func TestDissectors(t *testing.T) {
	s, out := newTestSession(t)
	got := run(t, s, `
local u = listen(0, "127.0.0.1")
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local uport, tport = select(2, u:getsockname()), select(2, l:getsockname())
dissector{name = "greet", port = {uport, tport}, decode = function(data, info)
  if data == "boom" then error("cannot read it") end
  local who = data:match("^HELLO (%w+)")
  return who and {who = who, summary = "from " .. who .. " via " .. info.proto}
end}
trace(true)
u:sendto("HELLO udp", "127.0.0.1", uport)
u:recvfrom()
u:sendto("boom", "127.0.0.1", uport)
u:recvfrom()
u:sendto("plain", "127.0.0.1", uport)
u:recvfrom()
local c = connect("127.0.0.1", tport)
local a = l:accept()
c:send("HELLO tcp")
a:receive(9)
local socket = require "socket"
local lc = assert(socket.connect("127.0.0.1", tport))
local la = l:accept()
lc:send("HELLO luasocket")
la:receive(15)
local file = os.tmpname()
trace.save(file)
trace(false)
local p = capture.read(file, "udp")[1]
return select(2, pcall(dissector, {name = "x", port = "http", decode = print})),
       select(2, pcall(dissector, {name = "x", port = 1})),
       select(2, pcall(dissector, {port = 1, decode = print})),
       file`)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`udp \S+ -> \S+ 9B greet from udp via udp$`,
		`udp \S+ <- \S+ 9B greet from udp via udp$`,
		`udp \S+ -> \S+ 4B \(greet dissector: \S+ cannot read it\)$`,
		`udp \S+ <- \S+ 4B \(greet dissector: \S+ cannot read it\)$`,
		`udp \S+ -> \S+ 5B "plain"$`,
		`udp \S+ <- \S+ 5B "plain"$`,
		`tcp \S+ -> \S+ connect$`,
		`tcp \S+ <- \S+ accept$`,
		`tcp \S+ -> \S+ 9B greet from tcp via tcp$`,
		`tcp \S+ <- \S+ 9B greet from tcp via tcp$`,
		`tcp \S+ -> \S+ connect$`,
		`tcp \S+ <- \S+ accept$`,
		`tcp \S+ -> \S+ 15B greet from luasocket via tcp$`,
		`tcp \S+ <- \S+ 15B greet from luasocket via tcp$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("trace printed:\n%s", out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d: %q, want %s", i+1, lines[i], re)
		}
	}
	for i, w := range []string{
		"bad argument #1 to 'dissector' (port must be a port or a list of ports, got string \"http\")",
		"bad argument #1 to 'dissector' (decode must be a function, got no value)",
		"bad argument #1 to 'dissector' (name is missing)",
	} {
		if !strings.Contains(got[i].String(), w) {
			t.Errorf("error %d: %q, want %q", i+1, got[i], w)
		}
	}
	out.Reset()
	run(t, s, `show(capture.read(`+luaQuote(got[3].String())+`, "udp")[1])`)
	if !strings.HasSuffix(out.String(), "}  -- greet from udp via udp\n") {
		t.Errorf("show(packet):\n%s", out)
	}
}
