package luasocket

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
)

// testHost is the least a session must be for LuaSocket: a plain Lua state
// whose blocking calls simply block, and which records what the library
// told it.
type testHost struct {
	L       *lua.LState
	mu      sync.Mutex
	tracked []bind.Socket
	packets []string
	denied  string // CheckNet refuses this host
	docs    int
}

func (h *testHost) Block(L *lua.LState, wait func() func()) { wait() }
func (h *testHost) BlockWaking(L *lua.LState, wake func(), wait func() func()) {
	wait()
}
func (h *testHost) Opening(open func() error) error { return open() }
func (h *testHost) Track(so bind.Socket, ud *lua.LUserData) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tracked = append(h.tracked, so)
}
func (h *testHost) Tracing() bool { return true }
func (h *testHost) Packet(L *lua.LState, tcp, in bool, local, remote netip.AddrPort, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.packets = append(h.packets, fmt.Sprintf("tcp=%v in=%v %q", tcp, in, data))
}
func (h *testHost) StreamEvent(ev bind.StreamEvent, src, dst, local netip.AddrPort, what string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.packets = append(h.packets, fmt.Sprintf("event %d %s", ev, what))
}
func (h *testHost) CheckNet(L *lua.LState, what, host string, port int) {
	if host == h.denied {
		L.RaiseError("refused: %s %s", what, host)
	}
}
func (h *testHost) ReadScript(path string) ([]byte, error)      { return os.ReadFile(path) }
func (h *testHost) OpenFile(path string) (io.ReadCloser, error) { return os.Open(path) }
func (h *testHost) Load(src, name string) (*lua.LFunction, error) {
	return h.L.Load(strings.NewReader(src), name)
}
func (h *testHost) Bind(name string, fn lua.LGFunction) *lua.LFunction { return h.L.NewFunction(fn) }
func (h *testHost) Document(fn lua.LValue, d *bind.Doc)                { h.docs++ }

// LuaSocket needs of its session only what bind.Host names: over a plain
// gopher-lua state it connects, sends and receives on loopback, and it
// hands its sockets, traffic, address checks and docs to the host.
func TestOverAPlainState(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	h := &testHost{L: L, denied: "127.0.0.2"}
	Open(L, h)
	err := L.DoString(`
local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local c = assert(socket.connect("127.0.0.1", port))
local s = assert(server:accept())
assert(c:send("hello\n"))
local line, err = s:receive()
assert(line == "hello", tostring(err))
c:close() s:close() server:close()
local ok, msg = pcall(socket.connect, "127.0.0.2", port)
assert(not ok and msg:find("refused: connecting to 127.0.0.2", 1, true), msg)
local u = assert(socket.udp())
assert(u:setpeername("127.0.0.1", port))
assert(u:send("datagram"))
u:close()
local mime = require "mime.core"
assert(mime.b64("sockshell") == "c29ja3NoZWxs")
`)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.tracked) < 4 {
		t.Errorf("tracked %d sockets, want the server, client, accepted and UDP objects", len(h.tracked))
	}
	for _, so := range h.tracked {
		if !so.Closed() {
			t.Errorf("%s still open after close", so)
		}
	}
	want := []string{`tcp=true in=false "hello\n"`, `tcp=true in=true "hello\n"`, `tcp=false in=false "datagram"`}
	for _, w := range want {
		found := false
		for _, p := range h.packets {
			found = found || p == w
		}
		if !found {
			t.Errorf("no packet %s among %q", w, h.packets)
		}
	}
	if h.docs == 0 {
		t.Error("no function documented to the host")
	}
}
