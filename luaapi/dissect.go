package luaapi

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
)

// dissector decodes the payloads of a protocol, by port: Lua code a
// plugin registers with dissector{}. trace's lines and show() of a
// captured packet use it.
type dissector struct {
	name   string
	ports  []int
	proto  string // "udp", "tcp", or "" for both
	decode *lua.LFunction
}

// matches reports whether d decodes proto traffic with either port.
func (d *dissector) matches(proto string, sport, dport int) bool {
	if d.proto != "" && d.proto != proto {
		return false
	}
	for _, p := range d.ports {
		if p == sport || p == dport {
			return true
		}
	}
	return false
}

var dissectFuncs = []libFunc{
	{&bind.Doc{
		Name:  "dissector",
		Forms: []string{"dissector{name=, port=, proto=, decode=}"},
		Summary: "Teaches sockshell a protocol, as Wireshark's Lua dissectors do, smaller: `decode(data, info)` turns one payload into a table of named fields; `trace` then shows traffic on the dissector's ports as `name summary` instead of raw bytes, and `show(packet)` of a captured packet adds the decoded line. " +
			"The built-in plugins dns, redis and syslog have one, loaded on the first packet of their ports. A decode that raises or returns nil leaves the bytes as they are.",
		Args: []bind.Arg{
			{Name: "name", Meaning: "the protocol's name, shown first: `\"dns\"`"},
			{Name: "port", Meaning: "a port or a list of ports; traffic from or to one of them is decoded"},
			{Name: "proto", Meaning: "`\"udp\"` or `\"tcp\"`: only that transport (default both)"},
			{Name: "decode", Meaning: "`function(data, info)`: `data` is one datagram or stream chunk, `info` is `{proto=, src=, dst=, sport=, dport=}`; it returns a table of fields, whose `summary` (a string) is what `trace` shows, or nil when the data is not the protocol's"},
		},
		Returns: "nothing.",
		Errors:  "A missing or bad field raises.",
		Example: `dissector{name = "hello", port = 7007, decode = function(data)
  local who = data:match("^HELLO (%w+)")
  return who and {who = who, summary = "greets " .. who}
end}
print((dissect("HELLO world", 7007)))  --> hello greets world`,
	}, (*Session).lDissector},
	{&bind.Doc{
		Name:    "dissect",
		Forms:   []string{"dissect(data, port [, proto])"},
		Summary: "Decodes one payload with the dissector of its port, as `trace` does.",
		Args: []bind.Arg{
			{Name: "data", Meaning: "the payload"},
			{Name: "port", Meaning: "its source or destination port"},
			{Name: "proto", Meaning: "`\"udp\"` (the default) or `\"tcp\"`"},
		},
		Returns: "the summary and the table of fields the dissector made, with `name` set to the dissector's; nil when no dissector decodes it.",
		Errors:  "A bad argument raises; a dissector's own error is returned as `nil, message`.",
		Example: `local q = pack(">I2 I2 I2 I2 I2 I2", 0x1234, 0x0100, 1, 0, 0, 0) .. "\3www\7example\4test\0" .. pack(">I2 I2", 1, 1)
print((dissect(q, 53)))  --> dns query A www.example.test. id=4660`,
	}, (*Session).lDissect},
}

func (s *Session) lDissector(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "dissector"}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		a.Raise(1, "table {name=, port=, decode=} expected, got %s", bind.Describe(L.Get(1)))
	}
	o := a.Options(1, t, "name", "port", "proto", "decode")
	d := &dissector{}
	if v, ok := o["name"]; ok {
		d.name = a.Name(1, v, "name")
	}
	if d.name == "" {
		a.Raise(1, "name is missing")
	}
	switch v := o["port"].(type) {
	case lua.LNumber:
		d.ports = []int{a.IntIn(1, v, "port", 0, 65535)}
	case *lua.LTable:
		for i := 1; i <= v.Len(); i++ {
			d.ports = append(d.ports, a.IntIn(1, v.RawGetInt(i), "port", 0, 65535))
		}
	}
	if len(d.ports) == 0 {
		a.Raise(1, "port must be a port or a list of ports, got %s", bind.Describe(o["port"]))
	}
	if v, ok := o["proto"]; ok {
		d.proto = a.Name(1, v, "proto")
		if d.proto != "udp" && d.proto != "tcp" {
			a.Raise(1, "proto must be \"udp\" or \"tcp\", got %s", bind.Describe(v))
		}
	}
	if d.decode, ok = o["decode"].(*lua.LFunction); !ok {
		a.Raise(1, "decode must be a function, got %s", bind.Describe(o["decode"]))
	}
	// A dissector of the same name replaces the old one (a plugin
	// reloaded).
	for i, old := range s.dissectors {
		if old.name == d.name {
			s.dissectors = append(s.dissectors[:i], s.dissectors[i+1:]...)
			break
		}
	}
	s.dissectors = append(s.dissectors, d)
	s.tracer.mu.Lock()
	s.tracer.dissectPorts = s.dissectorPorts()
	s.tracer.mu.Unlock()
	return 0
}

func (s *Session) lDissect(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "dissect"}
	data := a.Str(1, L.Get(1), "data")
	port := a.IntIn(2, L.Get(2), "port", 0, 65535)
	proto := "udp"
	if L.Get(3) != lua.LNil {
		proto = a.Name(3, L.Get(3), "proto")
	}
	info := map[string]lua.LValue{"proto": lua.LString(proto), "sport": lua.LNumber(port), "dport": lua.LNumber(port)}
	summary, fields, err := s.dissect(L, proto, port, port, data, info)
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	if fields == nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(summary))
	L.Push(fields)
	return 2
}

// dissect decodes data with the dissector of its ports, loading the
// built-in plugin that has one when none is registered: the summary
// ("dns query A …") and the fields, or nil fields when no dissector
// decodes it. A dissector's error is returned.
func (s *Session) dissect(L *lua.LState, proto string, sport, dport int, data string, info map[string]lua.LValue) (string, *lua.LTable, error) {
	d := s.dissectorFor(L, proto, sport, dport)
	if d == nil {
		return "", nil, nil
	}
	t := L.CreateTable(0, len(info))
	for k, v := range info {
		t.RawSetString(k, v)
	}
	if err := L.CallByParam(lua.P{Fn: d.decode, NRet: 1, Protect: true}, lua.LString(data), t); err != nil {
		if bind.Context(L).Err() != nil {
			L.RaiseError("%s", bind.Context(L).Err()) // stopped: not the dissector's fault
		}
		msg := err.Error()
		if ae, ok := err.(*lua.ApiError); ok {
			msg = lua.LVAsString(ae.Object)
		}
		return "", nil, fmt.Errorf("%s dissector: %s", d.name, msg)
	}
	fields, ok := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	if !ok {
		return "", nil, nil
	}
	fields.RawSetString("name", lua.LString(d.name))
	summary, ok := fields.RawGetString("summary").(lua.LString)
	text := d.name
	if ok && summary != "" {
		text += " " + string(summary)
	}
	return text, fields, nil
}

// dissectorFor is the dissector of traffic between the ports, loading the
// built-in plugin that declares one for them (once) when none is
// registered.
func (s *Session) dissectorFor(L *lua.LState, proto string, sport, dport int) *dissector {
	for i := len(s.dissectors) - 1; i >= 0; i-- {
		if d := s.dissectors[i]; d.matches(proto, sport, dport) {
			return d
		}
	}
	for _, b := range s.builtinDissectors() {
		if !b.matches(proto, sport, dport) || s.loadedDissectors[b.name] {
			continue
		}
		if s.loadedDissectors == nil {
			s.loadedDissectors = map[string]bool{}
		}
		s.loadedDissectors[b.name] = true
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal("require"), NRet: 0, Protect: true}, lua.LString("sockshell."+b.plugin)); err != nil {
			continue
		}
		return s.dissectorFor(L, proto, sport, dport)
	}
	return nil
}

// builtinDissector is a dissector a built-in plugin declares: its ports
// are known before the plugin is loaded.
type builtinDissector struct {
	dissector
	plugin string
}

// dissectorDecl finds dissector{name = "x", port = 53 | {..}, proto = "udp"}
// in a plugin's source.
var dissectorDecl = regexp.MustCompile(`(?s)dissector\{\s*name = "(\w+)",\s*port = (\d+|\{[\d, ]+\}),(?:\s*proto = "(\w+)",)?`)

// builtinDissectors lists what the built-in plugins declare.
func (s *Session) builtinDissectors() []builtinDissector {
	var out []builtinDissector
	s.eachBuiltinPlugin(func(plugin, src string) {
		for _, m := range dissectorDecl.FindAllStringSubmatch(src, -1) {
			b := builtinDissector{dissector: dissector{name: m[1], proto: m[3]}, plugin: plugin}
			for _, p := range strings.FieldsFunc(m[2], func(r rune) bool { return r < '0' || r > '9' }) {
				n, _ := strconv.Atoi(p)
				b.ports = append(b.ports, n)
			}
			out = append(out, b)
		}
	})
	return out
}

// dissectorPorts is every port a dissector, registered or built in,
// decodes: trace holds the lines of their traffic until it can run Lua.
func (s *Session) dissectorPorts() map[int]bool {
	ports := map[int]bool{}
	for _, d := range s.dissectors {
		for _, p := range d.ports {
			ports[p] = true
		}
	}
	for _, b := range s.builtinDissectors() {
		for _, p := range b.ports {
			ports[p] = true
		}
	}
	return ports
}

// packetSummary is what a dissector makes of a packet from capture.read
// or capture.each (a table with proto, sport, dport and data), or "".
func (s *Session) packetSummary(L *lua.LState, t *lua.LTable) string {
	proto, ok1 := t.RawGetString("proto").(lua.LString)
	data, ok2 := t.RawGetString("data").(lua.LString)
	sport, ok3 := t.RawGetString("sport").(lua.LNumber)
	dport, ok4 := t.RawGetString("dport").(lua.LNumber)
	if !ok1 || !ok2 || !ok3 || !ok4 || proto != "udp" && proto != "tcp" || len(data) == 0 {
		return ""
	}
	info := map[string]lua.LValue{"proto": proto, "sport": sport, "dport": dport,
		"src": t.RawGetString("src"), "dst": t.RawGetString("dst")}
	summary, _, err := s.dissect(L, string(proto), int(sport), int(dport), string(data), info)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return summary
}
