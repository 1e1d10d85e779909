package capture

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// The packet's fields, as the docs list them.
const packetFields = "`n` (its number in the file, from 1), `time` (seconds since 1970, with fractions), `len` (its length on the wire), " +
	"`captured` (how much the file holds, when a snap length cut it), `family` (4 or 6), `src`, `dst` (addresses), " +
	"`proto` (`\"udp\"`, `\"tcp\"`, `\"icmp\"`, `\"icmp6\"`, or the IP protocol's number), `sport`, `dport`, " +
	"for TCP `flags` (`\"SYN,ACK\"`), `seq` and `ack`, for ICMP `type` and `code`, and `data`, the payload. A frame that is not IP has only `n`, `time`, `len` and `data`."

// filterDoc says what a filter is.
const filterDoc = "which packets: a function of the packet that returns true for those to keep, or words as tcpdump's: " +
	"`\"udp\"`, `\"tcp\"`, `\"icmp\"`, `\"port 53\"`, `\"host 127.0.0.1\"`, `\"src port 5000\"`, `\"dst host ::1\"`, joined by `and` (all must hold)"

// pathAndFilter are the arguments of the functions that read a capture.
var pathAndFilter = []bind.Arg{
	{Name: "path", Meaning: "the capture file"},
	{Name: "filter", Meaning: filterDoc},
}

var readDoc = &bind.Doc{
	Name:    "capture.read",
	Forms:   []string{"capture.read(path [, filter])"},
	Summary: "Reads a capture — pcap or pcapng, from tcpdump, tshark, Wireshark or `trace.save` — into a list of packets, decoded down to what a socket program sees.",
	Args:    pathAndFilter,
	Returns: "a list of packets, each a table: " + packetFields + " When the file is cut inside a packet, the list of those before it and a second result saying so.",
	Errors:  "A bad filter raises. A file that cannot be read or is not a capture returns `nil, message`. The packets count against `--max-memory`: `capture.each` reads a capture of any size.",
	Example: `local s = listen(0, "127.0.0.1")
trace(true)
s:sendto("hi", "127.0.0.1", select(2, s:getsockname()))
s:recvfrom(10, 1)
local file = os.tmpname()
trace.save(file)
trace(false)
for _, p in ipairs(capture.read(file, "udp")) do print(p.proto, p.data, p.dport == p.sport) end
--> udp  hi  true`,
}

var eachDoc = &bind.Doc{
	Name:    "capture.each",
	Forms:   []string{"capture.each(path [, filter])"},
	Summary: "Reads a capture one packet at a time, for a `for` loop: memory stays the same whatever the file's size.",
	Args:    pathAndFilter,
	Returns: "an iterator of packets, as `capture.read` gives them.",
	Errors:  "A bad filter raises. A file that cannot be read or is not a capture returns `nil, message`; a file cut inside a packet raises when the loop reaches it, after the packets before it.",
	Example: `local s = listen(0, "127.0.0.1")
trace(true)
for i = 1, 3 do s:sendto("n" .. i, "127.0.0.1", select(2, s:getsockname())) end
local file = os.tmpname()
trace.save(file)
trace(false)
local n = 0
for p in capture.each(file, "udp and dst port " .. select(2, s:getsockname())) do n = n + 1 end
print(n)  --> 3`,
}

var conversationsDoc = &bind.Doc{
	Name:    "capture.conversations",
	Forms:   []string{"capture.conversations(path [, filter])"},
	Summary: "Reads a capture's UDP flows and TCP connections as conversations: who the client was, and what each side said in turn. A TCP connection's client is the side that sent the SYN (or spoke first, when the capture began later); its bytes are put back in order, each once (retransmissions and overlaps dropped), and a side's segments up to the other's answer make one turn. Each datagram of a UDP flow is a turn. `capture.script` and `replay` are made of it.",
	Args:    pathAndFilter,
	Returns: "a list of conversations in the order they began, each `{proto=, client=, server=, opened=, closed=, turns={{from = \"client\" or \"server\", time=, data=}, …}}`; `client` and `server` are `\"host:port\"`, `opened` and `closed` whether the capture holds the handshake and a FIN. When the file is cut, what was read and a second result saying so.",
	Errors:  "As `capture.read`.",
	Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
trace{quiet = true}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local a = l:accept()
c:send("hello\n") a:receive()
a:send("hi\n") c:receive()
c:close() a:close()
local file = os.tmpname()
trace.save(file)
trace(false)
local conv = capture.conversations(file)[1]
print(conv.proto, conv.opened, conv.closed, #conv.turns, conv.turns[1].from, conv.turns[2].data)
--> tcp  true  true  2  client  hi`,
}

var scriptDoc = &bind.Doc{
	Name:    "capture.script",
	Forms:   []string{"capture.script(path [, filter [, {to=, timeout=}]])"},
	Summary: "Writes a capture's conversations as a Lua script that does again what their client did — connects, sends what it sent, in its turns — and checks each answer against the capture's, printing whether it is the same: from a capture to a test. `sockshell script.lua [host:port]` runs it against the server of the capture or another; its exit status is 1 when an answer differs.",
	Args: []bind.Arg{
		{Name: "path", Meaning: "the capture file"},
		{Name: "filter", Meaning: filterDoc},
		{Name: "to", Meaning: "`\"host:port\"`, the server the script talks to unless its command line names one (default: the capture's)"},
		{Name: "timeout", Meaning: "seconds the script waits for each answer (default 5)"},
	},
	Returns: "the script's text, for `io.open(name, \"w\"):write(...)`.",
	Errors:  "A bad filter or option raises. A capture that cannot be read, or has no conversation, returns `nil, message`.",
	Example: `local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local port = select(2, l:getsockname())
local server = spawn(function()
  for _ = 1, 2 do
    local c = l:accept()
    c:send("echo " .. c:receive() .. "\n")
    c:close()
  end
end)
trace{quiet = true}
local c = connect("127.0.0.1", port)
c:send("ping\n") c:receive() c:close()
local cap = os.tmpname()
trace.save(cap)
trace(false)
local script = capture.script(cap, "tcp port " .. port)
assert(loadstring(script))()  --> answer 1.1: as captured (10 bytes)`,
}

var replayDoc = &bind.Doc{
	Name:    "replay",
	Forms:   []string{"replay(source [, {to=, speed=, filter=}])"},
	Summary: "Sends a capture's client traffic again: each UDP datagram, and each TCP client's bytes over a new connection (the server's answers are read and dropped), with the capture's timing scaled by `speed`. It waits as a blocking call does, so tasks run meanwhile and Ctrl-C stops it; `spawn(replay, ...)` replays in the background.",
	Args: []bind.Arg{
		{Name: "source", Meaning: "a capture's path, the list `capture.read` gives (its UDP datagrams are sent), or the list `capture.conversations` gives"},
		{Name: "to", Meaning: "`\"host:port\"` to send everything to (default: each conversation's server, as captured)"},
		{Name: "speed", Meaning: "how much faster than captured: 1 (the default) as captured, 2 twice as fast, 0 as fast as possible"},
		{Name: "filter", Meaning: "with a path: " + filterDoc},
	},
	Returns: "counts: `{datagrams=, streams=, bytes=, failed=}`, and `error=` the first failure's message when there was one.",
	Errors:  "A bad source or option raises; a capture that cannot be read returns `nil, message`.",
	Example: `local s = listen(0, "127.0.0.1")
local port = select(2, s:getsockname())
trace{quiet = true}
for i = 1, 3 do sendto("n" .. i, "127.0.0.1", port) end
local cap = os.tmpname()
trace.save(cap)
trace(false)
for i = 1, 3 do s:recvfrom() end
local counts = replay(cap, {speed = 0, filter = "udp port " .. port})
print(counts.datagrams, s:recvfrom(), s:recvfrom(), (s:recvfrom()))  --> 3  n1  n2  n3`,
}

// Library is the capture functions as the reference shows them; Open makes
// them in a session.
var Library = bind.Library{
	Title: "Captures",
	Intro: "Reading back what `tcpdump -w`, `tshark -w`, Wireshark or `trace.save` captured.",
	Funcs: []bind.Func{{Doc: readDoc}, {Doc: eachDoc}, {Doc: conversationsDoc}, {Doc: scriptDoc}, {Doc: replayDoc}},
}

// Open sets the global capture table in L, whose functions read files as
// h allows.
func Open(L *lua.LState, h bind.Host) {
	t := L.NewTable()
	for _, f := range []struct {
		name string
		doc  *bind.Doc
		fn   func(h bind.Host, L *lua.LState) int
	}{{"read", readDoc, lRead}, {"each", eachDoc, lEach}, {"conversations", conversationsDoc, lConversations}} {
		fn := h.Bind(f.doc.Name, func(L *lua.LState) int { return f.fn(h, L) })
		h.Document(fn, f.doc)
		t.RawSetString(f.name, fn)
	}
	L.SetGlobal("capture", t)
	// capture.script and replay are Lua, over the session's functions as
	// they are now; the Lua is compiled on their first call, not at every
	// start.
	args := []lua.LValue{t}
	for _, name := range []string{"connect", "listen", "sleep", "now", "spawn"} {
		args = append(args, L.GetGlobal(name))
	}
	var script, replay lua.LValue
	lazy := func(fn *lua.LValue) lua.LGFunction {
		return func(L *lua.LState) int {
			if *fn == nil {
				chunk, err := h.Load(captureLua, "=[capture]")
				if err != nil {
					L.RaiseError("capture.lua: %v", err) // built in: a bug
				}
				L.Push(chunk)
				for _, a := range args {
					L.Push(a)
				}
				L.Call(len(args), 2)
				script, replay = L.Get(-2), L.Get(-1)
				L.Pop(2)
			}
			top := L.GetTop()
			L.Push(*fn)
			for i := 1; i <= top; i++ {
				L.Push(L.Get(i))
			}
			L.Call(top, lua.MultRet)
			return L.GetTop() - top
		}
	}
	scriptFn := h.Bind("capture.script", lazy(&script))
	h.Document(scriptFn, scriptDoc)
	t.RawSetString("script", scriptFn)
	replayFn := h.Bind("replay", lazy(&replay))
	h.Document(replayFn, replayDoc)
	L.SetGlobal("replay", replayFn)
}

//go:embed capture.lua
var captureLua string

// openArgs reads the path and filter of fn (capture.read, …) and opens
// the capture; a file it cannot read is the error to return as nil,
// message.
func openArgs(h bind.Host, L *lua.LState, fn string) (path string, keep keepFunc, r *Reader, f io.Closer, err error) {
	a := bind.Args{L: L, Fn: fn}
	path = a.Name(1, L.Get(1), "path")
	keep = checkFilter(a, 2)
	r, f, err = open(h, path)
	return path, keep, r, f, err
}

// budgetSteps asks the memory budget of L for what a list grows by,
// in steps of procmem.CheckMin: the list grows inside one Go call, where
// no Lua instruction runs to notice the budget's poke.
func budgetSteps(L *lua.LState) func(n int) {
	var pending int64
	return func(n int) {
		if pending += int64(n); pending >= procmem.CheckMin {
			procmem.Alloc(L, pending)
			pending = 0
		}
	}
}

// open opens a capture for reading, as the session allows.
func open(h bind.Host, path string) (*Reader, io.Closer, error) {
	f, err := h.OpenFile(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	return r, f, nil
}

func lRead(h bind.Host, L *lua.LState) int {
	path, keep, r, f, err := openArgs(h, L, "capture.read")
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	defer f.Close()
	list := L.NewTable()
	grow := budgetSteps(L)
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			L.Push(list)
			L.Push(lua.LString(fmt.Sprintf("%s: %v", path, err)))
			return 2
		}
		grow(len(p.Payload) + 256)
		if v := packetTable(L, p); keep(L, p, v) {
			list.Append(v)
		}
	}
	L.Push(list)
	return 1
}

func lConversations(h bind.Host, L *lua.LState) int {
	path, keep, r, f, err := openArgs(h, L, "capture.conversations")
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	defer f.Close()
	step := budgetSteps(L)
	grow := func(n int) error { step(n); return nil }
	filter := func(p Packet) bool { return keep(L, p, packetTable(L, p)) }
	if _, isNil := L.Get(2).(*lua.LNilType); isNil {
		filter = nil
	}
	convs, err := Conversations(r, filter, grow)
	list := L.CreateTable(len(convs), 0)
	for _, c := range convs {
		t := L.CreateTable(0, 6)
		t.RawSetString("proto", lua.LString(c.Proto))
		t.RawSetString("client", lua.LString(c.Client.String()))
		t.RawSetString("server", lua.LString(c.Server.String()))
		t.RawSetString("opened", lua.LBool(c.Opened))
		t.RawSetString("closed", lua.LBool(c.Closed))
		turns := L.CreateTable(len(c.Turns), 0)
		for _, turn := range c.Turns {
			u := L.CreateTable(0, 3)
			from := "server"
			if turn.FromClient {
				from = "client"
			}
			u.RawSetString("from", lua.LString(from))
			u.RawSetString("time", lua.LNumber(float64(turn.Time.UnixNano())/1e9))
			u.RawSetString("data", lua.LString(turn.Data))
			turns.Append(u)
		}
		t.RawSetString("turns", turns)
		list.Append(t)
	}
	L.Push(list)
	if err != nil {
		L.Push(lua.LString(fmt.Sprintf("%s: %v", path, err)))
		return 2
	}
	return 1
}

func lEach(h bind.Host, L *lua.LState) int {
	path, keep, r, f, err := openArgs(h, L, "capture.each")
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	closed := false
	finish := func() {
		if !closed {
			closed = true
			f.Close()
		}
	}
	L.Push(L.NewFunction(func(L *lua.LState) int {
		for !closed {
			p, err := r.Next()
			if err == io.EOF {
				finish()
				break
			}
			if err != nil {
				finish()
				L.RaiseError("%s: %v", path, err)
			}
			if v := packetTable(L, p); keep(L, p, v) {
				L.Push(v)
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}))
	return 1
}

// packetTable is p as Lua sees it.
func packetTable(L *lua.LState, p Packet) *lua.LTable {
	t := L.CreateTable(0, 16)
	t.RawSetString("n", lua.LNumber(p.N))
	t.RawSetString("time", lua.LNumber(float64(p.Time.UnixNano())/1e9))
	t.RawSetString("len", lua.LNumber(p.Len))
	if p.Captured < p.Len {
		t.RawSetString("captured", lua.LNumber(p.Captured))
	}
	t.RawSetString("data", lua.LString(p.Payload))
	if p.Family == 0 {
		return t
	}
	t.RawSetString("family", lua.LNumber(p.Family))
	t.RawSetString("src", lua.LString(p.Src.String()))
	t.RawSetString("dst", lua.LString(p.Dst.String()))
	t.RawSetString("proto", lua.LString(p.Proto))
	switch p.Proto {
	case "udp", "tcp":
		t.RawSetString("sport", lua.LNumber(p.SrcPort))
		t.RawSetString("dport", lua.LNumber(p.DstPort))
	case "icmp", "icmp6":
		t.RawSetString("type", lua.LNumber(p.ICMPType))
		t.RawSetString("code", lua.LNumber(p.ICMPCode))
	}
	if p.Proto == "tcp" {
		t.RawSetString("flags", lua.LString(p.Flags))
		t.RawSetString("seq", lua.LNumber(p.Seq))
		t.RawSetString("ack", lua.LNumber(p.Ack))
	}
	return t
}

// keepFunc tells whether a packet passes a filter.
type keepFunc func(L *lua.LState, p Packet, v *lua.LTable) bool

// checkFilter reads argument n: nil (every packet), a Lua function, or
// filter words (ParseFilter).
func checkFilter(a bind.Args, n int) keepFunc {
	switch v := a.L.Get(n).(type) {
	case *lua.LNilType:
		return func(*lua.LState, Packet, *lua.LTable) bool { return true }
	case *lua.LFunction:
		return func(L *lua.LState, _ Packet, t *lua.LTable) bool {
			L.Push(v)
			L.Push(t)
			L.Call(1, 1)
			keep := lua.LVAsBool(L.Get(-1))
			L.Pop(1)
			return keep
		}
	case lua.LString:
		f, err := ParseFilter(string(v))
		if err != nil {
			a.Raise(n, "%v", err)
		}
		return func(_ *lua.LState, p Packet, _ *lua.LTable) bool { return f(p) }
	default:
		a.Raise(n, "filter must be a function or a string such as \"udp port 53\", got %s", bind.Describe(v))
	}
	return nil
}

// Filter tells whether a packet is one of those a filter names.
type Filter func(Packet) bool

// ParseFilter reads filter words as tcpdump's: a protocol ("udp", "tcp",
// "icmp", "icmp6"), "port N", "host ADDR", each of the last two perhaps
// after "src" or "dst", joined by "and" or written one after the other.
func ParseFilter(text string) (Filter, error) {
	var all []Filter
	words := strings.Fields(text)
	for i := 0; i < len(words); i++ {
		w := words[i]
		dir := ""
		if w == "and" {
			continue
		}
		if w == "src" || w == "dst" {
			dir = w
			if i+1 >= len(words) {
				return nil, fmt.Errorf("'%s' wants 'port N' or 'host ADDR' after it", w)
			}
			i++
			w = words[i]
		}
		switch w {
		case "udp", "tcp", "icmp", "icmp6":
			if dir != "" {
				return nil, fmt.Errorf("'%s %s': a direction goes with port or host", dir, w)
			}
			proto := w
			all = append(all, func(p Packet) bool { return p.Proto == proto })
		case "port", "host":
			if i+1 >= len(words) {
				return nil, fmt.Errorf("'%s' wants a value after it", w)
			}
			i++
			f, err := match(w, dir, words[i])
			if err != nil {
				return nil, err
			}
			all = append(all, f)
		default:
			return nil, fmt.Errorf("unknown filter word '%s' (filters look like \"udp port 53\", \"tcp and host 127.0.0.1\")", w)
		}
	}
	return func(p Packet) bool {
		for _, f := range all {
			if !f(p) {
				return false
			}
		}
		return true
	}, nil
}

func match(what, dir, value string) (Filter, error) {
	src, dst := dir != "dst", dir != "src"
	if what == "port" {
		port, err := strconv.ParseUint(value, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port must be 0-65535, got '%s'", value)
		}
		return func(p Packet) bool {
			if p.Proto != "udp" && p.Proto != "tcp" {
				return false
			}
			return src && p.SrcPort == uint16(port) || dst && p.DstPort == uint16(port)
		}, nil
	}
	addr, err := netip.ParseAddr(value)
	if err != nil {
		return nil, errors.New("host must be an IP address, got '" + value + "'")
	}
	return func(p Packet) bool { return src && p.Src == addr || dst && p.Dst == addr }, nil
}
