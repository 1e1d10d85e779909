package luaapi

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A LuaSocket server runs as a task beside the prompt's code: its blocking
// accept and receive let the session go on, sockets() lists its objects,
// and trace shows their traffic.
func TestLuaSocketServerAsTask(t *testing.T) {
	s, stderr := newTestSession(t)
	got := run(t, s, `local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
trace(true)
local t = spawn(function()
  local c = assert(server:accept())
  local line = c:receive()
  c:send("echo " .. line .. "\n")
  c:close()
end)
local listed = tostring(sockets())
local c = assert(socket.connect("127.0.0.1", port))
c:send("hi\n")
local reply = c:receive()
t:wait()
trace(false)
c:close() server:close()
return reply, listed`)
	if got[0].String() != "echo hi" {
		t.Errorf("reply %q", got[0].String())
	}
	if !strings.Contains(got[1].String(), "tcp{server}") {
		t.Errorf("sockets() did not list the server: %q", got[1].String())
	}
	if out := stderr.String(); !strings.Contains(out, "hi") || !strings.Contains(out, "echo hi") {
		t.Errorf("trace did not show the traffic: %q", out)
	}
}

// An interrupt stops a LuaSocket call that waits for ever, at once, and
// the session goes on.
func TestLuaSocketInterrupted(t *testing.T) {
	s, _ := newTestSession(t)
	for _, src := range []string{
		`local u = require("socket").udp() u:setsockname("127.0.0.1", 0) started() u:receivefrom()`,
		`local server = require("socket").bind("127.0.0.1", 0) started() server:accept()`,
		`started() require("socket").select(nil, nil)`,
		`started() require("socket").sleep(1e6)`,
	} {
		err, took := interruptWhenRunning(t, s, src)
		var le *Error
		if !errors.As(err, &le) || !le.Interrupted {
			t.Fatalf("%s: %v", src, err)
		}
		if took > 2*time.Second {
			t.Errorf("%s: took %v to stop", src, took)
		}
	}
	if got := run(t, s, `return #require("socket").dns.getaddrinfo("127.0.0.1")`)[0].String(); got != "1" {
		t.Errorf("after the interrupts: %s", got)
	}
}

// At the prompt a LuaSocket object shows its class and addresses, and
// help lists its methods.
func TestLuaSocketAtThePrompt(t *testing.T) {
	s, out := newTestSession(t)
	run(t, s, `socket = require "socket"
master = socket.tcp()
server = socket.bind("127.0.0.1", 0)
help(master)`)
	if got := out.String(); !strings.Contains(got, "tcp{master} is a LuaSocket object") || !strings.Contains(got, "setpeername, setsockname") {
		t.Errorf("help(master) printed %q", got)
	}
	for src, want := range map[string]string{
		`return show(master)`:                              "tcp{master} no descriptor yet",
		`return show(server)`:                              "tcp{server} 127.0.0.1:",
		`local u = socket.udp4() u:close() return show(u)`: "udp{unconnected} closed, 0 in, 0 out",
	} {
		out.Reset()
		run(t, s, src)
		if got := out.String(); !strings.Contains(got, want) {
			t.Errorf("%s printed %q, want %q", src, got, want)
		}
	}
}

// Cancelling a task blocked in a LuaSocket call returns at once, not when
// the wait next looks at its context (every 100 ms): 30 of them, waiting
// in receive, accept and select, are cancelled in well under that each.
func TestLuaSocketCancelWakesWaits(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("waits in the kernel are woken on Linux; elsewhere they look at their context every 100 ms")
	}
	s, _ := newTestSession(t)
	cancelWaiting(t, s, 30, 100, `
local socket = require "socket"
for i = 1, 10 do
  local u = assert(socket.udp())
  assert(u:setsockname("127.0.0.1", 0))
  local l = assert(socket.bind("127.0.0.1", 0))
  all[#all + 1] = spawn(function() return u:receive() end)
  all[#all + 1] = spawn(function() return l:accept() end)
  all[#all + 1] = spawn(function() return socket.select({u, l}, nil) end)
end`, "")
}
