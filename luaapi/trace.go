package luaapi

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/pcapng"
	"github.com/sockshell/sockshell/luaapi/procmem"
)

// traceKeep is how many packets a trace keeps for trace.save, and
// traceKeepBytes how many bytes of them at most (an eighth of the memory
// budget when that is less): past either, the oldest half goes.
const traceKeep = 100000

const traceKeepBytes = 64 << 20

// packetOverhead is what a kept packet costs beside its data.
const packetOverhead = 96

// tracer records the traffic of the session's sockets while tracing is
// on: one line each on the session's stderr, and the packets for
// trace.save and a trace file. Any goroutine may call it.
type tracer struct {
	// active mirrors on for the traffic's hot path, which then takes no
	// lock while tracing is off.
	active atomic.Bool

	mu   sync.Mutex
	on   bool
	show bool // print a line per packet
	kept []pcapng.Packet
	// keptBytes is what kept holds, and dropped how many older packets
	// went for room.
	keptBytes, dropped int
	// sent is, for each flow, what this session sent and has not yet seen
	// arrive: when both ends are its own sockets, the arrival is the same
	// packet, which a capture holds once.
	sent map[flowKey]*inFlight
	// events are the connections' openings and ends recorded: when both
	// ends are the session's sockets, each side reports them.
	events map[eventKey]bool
	// dissectPorts are the ports whose traffic a dissector decodes, and
	// pending the lines that wait for a goroutine that may run Lua (the
	// baton's holder) to decode them, with every line after them, in
	// order.
	dissectPorts map[int]bool
	pending      []pendingLine
	file         *os.File
	fileBuf      *bufio.Writer
	fileW        *pcapng.Writer
}

// flowKey names one direction of a conversation.
type flowKey struct {
	tcp      bool
	src, dst netip.AddrPort
}

// lockOn takes tr.mu when tracing is on, and reports whether it did; the
// hot path reads an atomic flag only while tracing is off.
func (tr *tracer) lockOn() bool {
	if !tr.active.Load() {
		return false
	}
	tr.mu.Lock()
	if !tr.on {
		tr.mu.Unlock()
		return false
	}
	return true
}

// pendingLine is a trace line not yet printed: a packet, or a
// connection's event (what) as the socket at local saw it.
type pendingLine struct {
	p     pcapng.Packet
	in    bool
	what  string
	local netip.AddrPort
}

// maxPending bounds the lines held for decoding; past it they print as
// they are.
const maxPending = 4096

// eventKey names a TCP connection's opening or the end of one side.
type eventKey struct {
	kind     pcapng.Kind
	src, dst netip.AddrPort
}

// inFlight is what a flow has sent and not yet been seen to receive.
type inFlight struct {
	bytes     int      // of a TCP stream
	datagrams [][]byte // of UDP, oldest first
	// A TCP stream's bytes the receiving end traced before the sending
	// end did: a native read traces off the baton, as soon as the data is
	// there, and may come before the writer's trace, which follows its
	// write. The send they belong to skips them. Kept for a second: the
	// sender then was no socket of this session.
	early   int
	earlyAt time.Time
}

// maxFlows bounds the flows seen keeps (see forget).
const maxFlows = 4096

// seen tells how many bytes at the start of p were recorded already, by
// the other end when both are this session's sockets: p's data received,
// as it was sent (it forgets them), or sent, as received first (early);
// and whether all of p was (a datagram, even an empty one).
func (tr *tracer) seen(p pcapng.Packet, in bool) (done int, all bool) {
	if tr.sent == nil {
		tr.sent = map[flowKey]*inFlight{}
	}
	k := flowKey{p.TCP, p.Src, p.Dst}
	f := tr.sent[k]
	if f == nil && (!in || p.TCP) {
		if len(tr.sent) >= maxFlows {
			tr.forget()
		}
		f = &inFlight{}
		tr.sent[k] = f
	}
	n := len(p.Data)
	switch {
	case !p.TCP && !in:
		if len(f.datagrams) < 1024 {
			f.datagrams = append(f.datagrams, p.Data)
		}
		return 0, false
	case !p.TCP:
		if f != nil && len(f.datagrams) > 0 && string(f.datagrams[0]) == string(p.Data) {
			f.datagrams = f.datagrams[1:]
			return n, true
		}
		return 0, false
	case !in:
		if f.early > 0 && time.Since(f.earlyAt) >= time.Second {
			f.early = 0
		}
		done = min(n, f.early)
		f.early -= done
		f.bytes += n - done
		return done, done == n
	}
	done = min(n, f.bytes)
	f.bytes -= done
	if done < n {
		if f.early == 0 || time.Since(f.earlyAt) >= time.Second {
			f.early = 0
			f.earlyAt = time.Now()
		}
		f.early += n - done
	}
	return done, done == n
}

// forget drops the flows with nothing in flight, and all of them when
// that leaves too many (what went to other hosts is never received here):
// at worst a packet sent between two sockets of the session is then
// recorded twice. tr.mu is held.
func (tr *tracer) forget() {
	for k, f := range tr.sent {
		if f.bytes == 0 && len(f.datagrams) == 0 && (f.early == 0 || time.Since(f.earlyAt) >= time.Second) {
			delete(tr.sent, k)
		}
	}
	if len(tr.sent) >= maxFlows/2 {
		clear(tr.sent)
	}
}

// packet records one unit of traffic if tracing is on: in is true for
// what the socket received, from remote to local.
// tracing reports whether trace records packets, so that a caller can
// skip making the packet's bytes when it does not.
func (s *Session) tracing() bool { return s.tracer.active.Load() }

// packet records one unit of traffic if tracing is on: in is true for
// what the socket received, from remote to local. L is the calling
// thread when the caller holds the baton, so that a dissector may decode
// the line now; nil when it does not (the line then waits for one that
// does, with those after it).
func (s *Session) packet(L *lua.LState, tcp, in bool, local, remote netip.AddrPort, data []byte) {
	tr := &s.tracer
	if !tr.lockOn() {
		return
	}
	local = concrete(local, remote)
	p := pcapng.Packet{Time: time.Now(), TCP: tcp, Src: local, Dst: remote, Data: append([]byte(nil), data...)}
	if in {
		p.Src, p.Dst = remote, local
	}
	if done, all := tr.seen(p, in); !all {
		rec := p
		rec.Data = p.Data[done:]
		tr.keep(rec, min(traceKeepBytes, int(procmem.Budget()/8)))
		if tr.fileW != nil {
			tr.fileW.Write(rec)
		}
	}
	lines := tr.line(L, pendingLine{p: p, in: in}, tr.dissectPorts[int(p.Src.Port())] || tr.dissectPorts[int(p.Dst.Port())])
	tr.mu.Unlock()
	s.printTrace(L, lines)
}

// line queues l when it must wait (decoding wanted, or lines waiting
// before it, and no Lua thread to run on), and otherwise returns it with
// the lines that waited; tr.mu is held.
func (tr *tracer) line(L *lua.LState, l pendingLine, decode bool) []pendingLine {
	if !tr.show {
		return nil
	}
	if L == nil && (decode || len(tr.pending) > 0) && len(tr.pending) < maxPending {
		tr.pending = append(tr.pending, l)
		return nil
	}
	lines := append(tr.pending, l)
	tr.pending = nil
	return lines
}

// flushTrace prints the trace lines that waited for a Lua thread: L's
// goroutine holds the baton.
func (s *Session) flushTrace(L *lua.LState) {
	tr := &s.tracer
	if !tr.active.Load() {
		return
	}
	tr.mu.Lock()
	lines := tr.pending
	tr.pending = nil
	tr.mu.Unlock()
	s.printTrace(L, lines)
}

// printTrace prints lines, decoding the packets a dissector knows when L
// may run Lua.
func (s *Session) printTrace(L *lua.LState, lines []pendingLine) {
	if len(lines) == 0 {
		return
	}
	var b strings.Builder
	for _, l := range lines {
		if l.what != "" {
			arrow, remote := "->", l.p.Dst
			if l.p.Src != l.local {
				arrow, remote = "<-", l.p.Src
			}
			fmt.Fprintf(&b, "%s tcp %s %s %s %s\n", l.p.Time.Format("15:04:05.000000"), l.local, arrow, remote, l.what)
			continue
		}
		b.WriteString(traceLine(l.p, l.in, s.traceSummary(L, l.p)))
	}
	io.WriteString(s.stderr, b.String())
}

// traceSummary is what a dissector makes of p's data ("dns query A …"),
// or "" when none decodes it or there is no Lua thread to run one on.
func (s *Session) traceSummary(L *lua.LState, p pcapng.Packet) string {
	if L == nil {
		return ""
	}
	s.tracer.mu.Lock()
	decode := s.tracer.dissectPorts[int(p.Src.Port())] || s.tracer.dissectPorts[int(p.Dst.Port())]
	s.tracer.mu.Unlock()
	if !decode {
		return ""
	}
	proto := "udp"
	if p.TCP {
		proto = "tcp"
	}
	info := map[string]lua.LValue{
		"proto": lua.LString(proto),
		"src":   lua.LString(p.Src.Addr().String()), "sport": lua.LNumber(p.Src.Port()),
		"dst": lua.LString(p.Dst.Addr().String()), "dport": lua.LNumber(p.Dst.Port()),
	}
	summary, _, err := s.dissect(L, proto, int(p.Src.Port()), int(p.Dst.Port()), string(p.Data), info)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return summary
}

// tcpEvent records, if tracing is on, a TCP connection opened (kind
// pcapng.Open, src the client) or the end of src's side (pcapng.Close):
// once in what trace.save writes, whichever end reports it first, and as
// a line for each of the session's sockets that sees it. local is the
// reporting socket's address, what how it saw it ("connect", "accept",
// "shutdown", "close", "peer closed").
func (s *Session) tcpEvent(kind pcapng.Kind, src, dst, local netip.AddrPort, what string) {
	tr := &s.tracer
	if !tr.lockOn() {
		return
	}
	remote := dst
	if src != local {
		remote = src
	}
	local = concrete(local, remote)
	if src == remote {
		dst = local
	} else {
		src = local
	}
	p := pcapng.Packet{Time: time.Now(), TCP: true, Kind: kind, Src: src, Dst: dst}
	if tr.events == nil {
		tr.events = map[eventKey]bool{}
	}
	if k := (eventKey{kind, src, dst}); !tr.events[k] {
		tr.events[k] = true
		tr.keep(p, min(traceKeepBytes, int(procmem.Budget()/8)))
		if tr.fileW != nil {
			tr.fileW.Write(p)
		}
	}
	lines := tr.line(nil, pendingLine{p: p, what: what, local: local}, false)
	tr.mu.Unlock()
	s.printTrace(nil, lines)
}

// concrete is a socket's local address as a capture shows it: of the
// remote's family, and the loopback address rather than "any" when the
// remote is on loopback (the socket only knows it is bound to every
// interface).
func concrete(local, remote netip.AddrPort) netip.AddrPort {
	a, r := local.Addr().Unmap(), remote.Addr().Unmap()
	if a.IsUnspecified() || a.Is4() != r.Is4() {
		switch {
		case r.IsLoopback():
			a = r
		case r.Is4():
			a = netip.IPv4Unspecified()
		default:
			a = netip.IPv6Unspecified()
		}
	}
	return netip.AddrPortFrom(a, local.Port())
}

// traceLine is a packet as trace shows it: time, protocol, local and
// remote address with the direction, size, and the data as text or hex.
func traceLine(p pcapng.Packet, in bool, summary string) string {
	proto, local, arrow, remote := "udp", p.Src, "->", p.Dst
	if p.TCP {
		proto = "tcp"
	}
	if in {
		local, arrow, remote = p.Dst, "<-", p.Src
	}
	if summary == "" {
		summary = traceData(p.Data)
	}
	return fmt.Sprintf("%s %s %s %s %s %dB %s\n", p.Time.Format("15:04:05.000000"), proto, local, arrow, remote,
		len(p.Data), summary)
}

// traceData shows up to 48 bytes: quoted text, or hex.
func traceData(b []byte) string {
	cut := ""
	if len(b) > 48 {
		b, cut = b[:48], "…"
	}
	if utf8.Valid(b) && printable(string(b)) || printable(strings.TrimRight(string(b), "\r\n")) {
		return luaLiteral(string(b)) + cut
	}
	return fmt.Sprintf("%x", b) + cut
}

var traceFuncs = []libFunc{
	{&bind.Doc{
		Name:  "trace",
		Forms: []string{"trace(on)", "trace{file=, quiet=}"},
		Summary: "Shows the traffic of the session's sockets: while it is on, every datagram and every chunk of a TCP stream sent or received prints as a line above the prompt — time, protocol, local address, direction, remote address, size, the data as text or hex — and so does each TCP connection's `connect`, `accept`, `shutdown`, `close` and `peer closed`. " +
			"With a file, it is also recorded there as pcapng, which Wireshark opens.",
		Args: []bind.Arg{
			{Name: "on", Meaning: "true to start, false to stop"},
			{Name: "file", Meaning: "a pcapng file to record into, from now until trace(false)"},
			{Name: "quiet", Meaning: "true: record without printing a line per packet"},
		},
		Returns: "nothing.",
		Errors:  "A file that cannot be created raises.",
		Example: `trace(true)
local a, b = listen(0, "127.0.0.1"), listen(0, "127.0.0.1")
a:sendto("hello", b:getsockname())
b:recvfrom()
trace(false)
a:close() b:close()`,
	}, (*Session).lTrace},
	{&bind.Doc{
		Name:    "trace.save",
		Forms:   []string{"trace.save(path)"},
		Summary: "Writes the traffic traced so far (the last 100000 packets, and at most 64 MB of them or an eighth of `--max-memory`: the oldest go first) to a pcapng file: each datagram or stream chunk becomes an Ethernet frame (once, when both ends are this session's sockets) with IP and UDP or TCP headers whose checksums are valid and whose TCP sequence numbers count each direction's bytes; a connection traced from its start has its handshake (SYN, SYN-ACK, ACK) and a FIN for each side that ended, so Wireshark and tshark read it as a capture and follow its streams (`tshark -r file -z follow,tcp,ascii,0`). The interface is named `sockshell sockets`.",
		Args:    []bind.Arg{{Name: "path", Meaning: "the file to write"}},
		Returns: "the number of packets written, and the number of older ones dropped for room (0 when none).",
		Errors:  "`nil, message` when the file cannot be written.",
		Example: `trace{quiet = true}
sendto("x", "127.0.0.1", 9)
trace(false)
local path = os.tmpname()
print(trace.save(path) >= 1)  --> true
os.remove(path)`,
	}, (*Session).lTraceSave},
}

// openTrace makes the trace global: trace(on) is a call of the table,
// which holds trace.save.
func (s *Session) openTrace() {
	L := s.main
	t := L.NewTable()
	mt := L.NewTable()
	call := s.bind(traceFuncs[0])
	s.docsByFn[call] = traceFuncs[0].doc
	mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		L.Remove(1) // the table itself
		L.Insert(call, 1)
		L.Call(L.GetTop()-1, 0)
		return 0
	}))
	save := s.bind(traceFuncs[1])
	s.docsByFn[save] = traceFuncs[1].doc
	t.RawSetString("save", save)
	L.SetMetatable(t, mt)
	L.SetGlobal("trace", t)
	s.docsByFn[t] = traceFuncs[0].doc
}

func (s *Session) lTrace(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "trace"}
	tr := &s.tracer
	on, show, file := false, true, ""
	switch v := L.Get(1).(type) {
	case lua.LBool:
		on = bool(v)
	case *lua.LTable:
		o := a.Options(1, v, "file", "quiet")
		on = true
		if f, ok := o["file"]; ok {
			file = a.Name(1, f, "file")
		}
		if q, ok := o["quiet"]; ok {
			show = !lua.LVAsBool(q)
		}
	default:
		a.Raise(1, "true, false or {file=, quiet=} expected, got %s", bind.Describe(L.Get(1)))
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.closeFile()
	tr.on, tr.show, tr.sent, tr.events, tr.pending = on, show, nil, nil, nil
	tr.dissectPorts = s.dissectorPorts()
	defer func() { tr.active.Store(tr.on) }()
	if on && file != "" {
		f, err := s.createFile(file)
		if err != nil {
			tr.on = false
			L.RaiseError("trace: %v", err)
		}
		tr.file, tr.fileBuf = f, bufio.NewWriter(f)
		tr.fileW, _ = pcapng.NewWriter(tr.fileBuf)
	}
	return 0
}

// keep adds p to what trace.save writes, first dropping the oldest half of
// the packets (by count, or by bytes of limit) when p would pass a bound;
// tr.mu is held.
func (tr *tracer) keep(p pcapng.Packet, limit int) {
	size := len(p.Data) + packetOverhead
	if len(tr.kept) >= traceKeep || tr.keptBytes+size > limit {
		drop, bytes := 0, tr.keptBytes
		for drop < len(tr.kept) && (len(tr.kept)-drop > traceKeep/2 || bytes+size > limit/2) {
			bytes -= len(tr.kept[drop].Data) + packetOverhead
			drop++
		}
		n := copy(tr.kept, tr.kept[drop:])
		clear(tr.kept[n:]) // let the dropped data go
		tr.kept = tr.kept[:n]
		tr.keptBytes, tr.dropped = bytes, tr.dropped+drop
	}
	tr.kept = append(tr.kept, p)
	tr.keptBytes += size
}

// closeFile ends a trace file; tr.mu is held.
func (tr *tracer) closeFile() {
	if tr.file != nil {
		tr.fileBuf.Flush()
		tr.file.Close()
		tr.file, tr.fileBuf, tr.fileW = nil, nil, nil
	}
}

func (s *Session) lTraceSave(L *lua.LState) int {
	path := bind.Args{L: L, Fn: "trace.save"}.Name(1, L.Get(1), "path")
	tr := &s.tracer
	tr.mu.Lock()
	kept := append([]pcapng.Packet(nil), tr.kept...)
	dropped := tr.dropped
	tr.mu.Unlock()
	f, err := s.createFile(path)
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	buf := bufio.NewWriter(f)
	w, err := pcapng.NewWriter(buf)
	for _, p := range kept {
		if err == nil {
			err = w.Write(p)
		}
	}
	if err == nil {
		err = buf.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	L.Push(lua.LNumber(len(kept)))
	L.Push(lua.LNumber(dropped))
	return 2
}
