package luasocket

import (
	"strings"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// The docs of LuaSocket's functions as sockshell has them (LuaSocket's
// manual is the full reference). help(socket.bind) and help "socket.bind"
// find them once the module is loaded.

const lsServerExample = `local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local ip, port = server:getsockname()
print(ip, port)
server:close()`

// Library is LuaSocket's modules and functions as the reference shows
// them; their Lua functions are made for each session by Open.
var Library = bind.Library{
	Title:   "LuaSocket",
	Intro:   "LuaSocket programs run unchanged: `require \"socket\"` gives LuaSocket's API over sockshell's sockets. These are its functions as sockshell has them; LuaSocket's manual is the full reference.",
	Funcs:   append(append([]bind.Func{}, luasocketDocs...), luasocketFuncDocs...),
	Methods: true,
}

var luasocketFuncDocs = []bind.Func{
	{Doc: &bind.Doc{
		Name:    "socket.udp",
		Forms:   []string{"socket.udp()", "socket.udp4()", "socket.udp6()"},
		Summary: "Makes an unconnected UDP object: `setsockname` binds it, `setpeername` connects it, `sendto` and `receivefrom` use it. `udp()` makes its descriptor when an address says which family; `udp4`/`udp6` make it at once.",
		Returns: "the object (`udp{unconnected}`).",
		Errors:  "`nil, message` when the system has no socket to give.",
		Example: `local socket = require "socket"
local u = socket.udp()
assert(u:setsockname("127.0.0.1", 0))
print(u:getsockname())
u:close()`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.tcp",
		Forms:   []string{"socket.tcp()", "socket.tcp4()", "socket.tcp6()"},
		Summary: "Makes a master TCP object: `bind` and `listen` make it a server (`accept`), `connect` a client (`send`, `receive`).",
		Returns: "the object (`tcp{master}`).",
		Errors:  "`nil, message` when the system has no socket to give.",
		Example: `local socket = require "socket"
local t = socket.tcp()
-- no descriptor (-1) until bind or connect
print(t, t:getfd())  --> tcp{master}: 0x…  -1
t:close()`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.bind",
		Forms:   []string{"socket.bind(host, port [, backlog])"},
		Summary: "A listening TCP server on the first of host's addresses that takes the port, with SO_REUSEADDR set.",
		Args: []bind.Arg{
			{Name: "host", Meaning: "an address, a name, or `\"*\"` for every IPv4 address"},
			{Name: "port", Meaning: "0 for any free port"},
			{Name: "backlog", Meaning: "connections the kernel queues (default 32)"},
		},
		Returns: "the server (`tcp{server}`).",
		Errors:  "`nil, message` (`\"address already in use\"`, a resolver's message). Under `--safe`, an address `--allow-net` does not grant raises.",
		Example: lsServerExample,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.connect",
		Forms:   []string{"socket.connect(address, port [, locaddr [, locport [, family]]])", "socket.connect4(…)", "socket.connect6(…)"},
		Summary: "A TCP client connected to the first of address's addresses that answers, waiting as long as it takes (its timeout applies afterwards).",
		Args: []bind.Arg{
			{Name: "address", Meaning: "an address or a name"},
			{Name: "port", Meaning: "a port number or a service name"},
			{Name: "locaddr, locport", Meaning: "the local address and port to bind first"},
			{Name: "family", Meaning: "`\"inet\"`, `\"inet6\"` or `\"unspec\"` (the default); `connect4` and `connect6` set it"},
		},
		Returns: "the client (`tcp{client}`).",
		Errors:  "`nil, message`: `\"connection refused\"`, `\"timeout\"`, `\"host or service not provided, or not known\"`. Bad arguments raise.",
		Example: `local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local c = assert(socket.connect("127.0.0.1", port))
print(c:getpeername())
c:close() server:close()`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.select",
		Forms:   []string{"socket.select(recvt, sendt [, timeout])"},
		Summary: "Waits until some of the objects in `recvt` can be read (or have buffered data) or some in `sendt` can be written. Other tasks run while it waits; Ctrl-C stops it.",
		Args: []bind.Arg{
			{Name: "recvt", Meaning: "a list of objects (anything with a `getfd` method), or nil"},
			{Name: "sendt", Meaning: "likewise, for writing"},
			{Name: "timeout", Meaning: "seconds (default: for ever)"},
		},
		Returns: "the list of readable objects and the list of writable ones, each also indexed by object; with `\"timeout\"` as a third result when none is ready.",
		Errors:  "A non-table raises; a descriptor of 1024 or more raises `descriptor too large for set size`, as LuaSocket does.",
		Example: `local socket = require "socket"
local u = socket.udp()
u:setsockname("127.0.0.1", 0)
local r, w, err = socket.select({u}, nil, 0.01)
print(#r, err)  --> 0  timeout`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.gettime",
		Forms:   []string{"socket.gettime()"},
		Summary: "The time in seconds since the epoch, with fractions.",
		Returns: "a number.",
		Errors:  "None.",
		Example: `print(require("socket").gettime() > 0)  --> true`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.sleep",
		Forms:   []string{"socket.sleep(seconds)"},
		Summary: "Waits; other tasks run meanwhile, and Ctrl-C ends it.",
		Args:    []bind.Arg{{Name: "seconds", Meaning: "how long; 0 or less returns at once"}},
		Returns: "nothing.",
		Errors:  "A non-number raises.",
		Example: `local socket = require "socket"
local t0 = socket.gettime()
socket.sleep(0.01)
print(socket.gettime() - t0 >= 0.01)  --> true`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.skip",
		Forms:   []string{"socket.skip(d, ...)"},
		Summary: "Its arguments after the first `d`.",
		Args:    []bind.Arg{{Name: "d", Meaning: "how many to drop"}, {Name: "...", Meaning: "the values"}},
		Returns: "the rest.",
		Errors:  "A non-number `d` raises.",
		Example: `print(require("socket").skip(1, "a", "b", "c"))  --> b  c`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.newtry",
		Forms:   []string{"socket.newtry([finalizer])", "socket.try(ret1, ret2, …)"},
		Summary: "`newtry` makes a `try` function: given a first value that is nil or false, it calls `finalizer` and raises the second value for `protect` to return; otherwise it returns its arguments. `socket.try` is one with no finalizer.",
		Args:    []bind.Arg{{Name: "finalizer", Meaning: "a function called before raising (to close a socket, say)"}, {Name: "ret1, ret2, …", Meaning: "what a call returned"}},
		Returns: "newtry: the try function; try: its arguments.",
		Errors:  "try raises the error, wrapped so that only `protect` turns it back into `nil, message`.",
		Example: `local socket = require "socket"
local f = socket.protect(function() socket.try(nil, "it failed") end)
print(f())  --> nil  it failed`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.protect",
		Forms:   []string{"socket.protect(f)"},
		Summary: "A function that calls `f` and returns what it returns, or `nil, message` for an error a `try` function raised; other errors go on.",
		Args:    []bind.Arg{{Name: "f", Meaning: "the function"}},
		Returns: "the protected function.",
		Errors:  "Errors that `try` did not raise propagate.",
		Example: `local socket = require "socket"
print(socket.protect(function(x) return x * 2 end)(21))  --> 42`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.sink",
		Forms:   []string{"socket.sink(mode, sock)", "socket.source(mode, sock [, length])", "socket.choose(table)"},
		Summary: "LTN12 sinks and sources over a socket: a sink `\"keep-open\"` or `\"close-when-done\"`, a source `\"by-length\"` or `\"until-closed\"`; `choose` makes such a selector from a table of constructors.",
		Args:    []bind.Arg{{Name: "mode", Meaning: "the kind"}, {Name: "sock", Meaning: "a connected TCP object"}, {Name: "length", Meaning: "for `\"by-length\"`, how many bytes"}, {Name: "table", Meaning: "constructors by name"}},
		Returns: "the sink, source or selector.",
		Errors:  "An unknown mode raises `unknown key (…)`.",
		Example: `local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local c = socket.connect("127.0.0.1", port)
local peer = server:accept()
socket.sink("keep-open", c)("hello")
print(socket.source("by-length", peer, 5)())  --> hello
c:close() peer:close() server:close()`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.dns.toip",
		Forms:   []string{"socket.dns.toip(address)", "socket.dns.tohostname(address)"},
		Summary: "An IPv4 address (`toip`) or the canonical name (`tohostname`) of a name or an address, with all the resolver says: `{name=, alias={…}, ip={…}}`. Names under `.invalid` do not exist and names under `.localhost` are loopback, without a query.",
		Args:    []bind.Arg{{Name: "address", Meaning: "a name or an IPv4 address"}},
		Returns: "the address or name, and the table.",
		Errors:  "`nil, \"host not found\"`.",
		Example: `local dns = require("socket").dns
print(dns.toip("127.0.0.1"))
print(dns.toip("nothing.invalid"))  --> nil  host not found`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name:    "socket.dns.getaddrinfo",
		Forms:   []string{"socket.dns.getaddrinfo(host)", "socket.dns.getnameinfo(host [, serv])", "socket.dns.gethostname()"},
		Summary: "`getaddrinfo`: the addresses of a name, `{family=\"inet\" or \"inet6\", addr=}` each; `getnameinfo`: the names of an address and a port's service name; `gethostname`: this machine's name.",
		Args:    []bind.Arg{{Name: "host", Meaning: "a name or an address"}, {Name: "serv", Meaning: "a port or service"}},
		Returns: "a list (and the service name), or the host name.",
		Errors:  "`nil, message` as getaddrinfo words it; getnameinfo with neither argument raises.",
		Example: `local dns = require("socket").dns
print(dns.getaddrinfo("127.0.0.1")[1].addr)  --> 127.0.0.1
print(type(dns.gethostname()))  --> string`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name: "socket.tcp-methods",
		Forms: []string{"t:bind(address, port)", "t:listen([backlog])", "t:connect(address, port)", "t:accept()",
			"t:send(data [, i [, j]])", "t:receive([pattern [, prefix]])", "t:settimeout(value [, mode])", "t:gettimeout()",
			"t:setoption(name, value)", "t:getoption(name)", "t:getsockname()", "t:getpeername()", "t:getstats()", "t:setstats([received, sent, age])",
			"t:shutdown([how])", "t:close()", "t:getfd()", "t:setfd(fd)", "t:dirty()", "t:getfamily()"},
		Summary: "The methods of LuaSocket's TCP objects, as LuaSocket has them: a master binds and listens (a server: `accept`) or connects (a client: `send`, `receive`). `receive` takes `\"*l\"` (default), `\"*a\"` or a count, and a prefix; `send` returns the index of the last byte sent. `settimeout(t, \"b\")` bounds each wait, `\"t\"` the whole call. Options: `keepalive`, `reuseaddr`, `reuseport`, `tcp-nodelay`, `ipv6-v6only`, `linger` (`{on=, timeout=}`), `recv-buffer-size`, `send-buffer-size`, `error`.",
		Args:    []bind.Arg{{Name: "pattern", Meaning: "`\"*l\"`, `\"*a\"` or a number of bytes"}, {Name: "mode", Meaning: "`\"b\"` (each wait) or `\"t\"` (the whole call)"}},
		Returns: "as LuaSocket: `1` for success, data, `index, nil, nil` for send.",
		Errors:  "`nil, message[, partial]` for failures (`\"timeout\"`, `\"closed\"`, …); a call on the wrong class raises `calling 'receive' on bad self (tcp{client} expected)`.",
		Example: `local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local c = socket.connect("127.0.0.1", port)
local peer = server:accept()
print(c:send("one\r\ntwo\n"))   --> 9  nil  nil
print(peer:receive())           --> one  nil  nil
-- a count counts the prefix too, as in LuaSocket: 3 bytes more
print(peer:receive(5, "a "))    --> a two  nil  nil
c:close() peer:close() server:close()`,
	}, Fn: nil},
	{Doc: &bind.Doc{
		Name: "socket.udp-methods",
		Forms: []string{"u:setsockname(address, port)", "u:setpeername(address, port)", "u:setpeername(\"*\")", "u:sendto(data, ip, port)",
			"u:send(data)", "u:receivefrom([size])", "u:receive([size])", "u:settimeout(value [, mode])", "u:gettimeout()",
			"u:setoption(name, value)", "u:getoption(name)", "u:getsockname()", "u:getpeername()", "u:close()", "u:getfd()", "u:setfd(fd)", "u:dirty()", "u:getfamily()"},
		Summary: "The methods of LuaSocket's UDP objects: an unconnected one sends with `sendto` (to an IP address, not a name) and receives with `receivefrom`; `setpeername` connects it (`send`, `receive`), `setpeername(\"*\")` unconnects it. Options: `dontroute`, `broadcast`, `reuseaddr`, `reuseport`, `ip-multicast-if`, `ip-multicast-ttl`, `ip-multicast-loop`, `ip-add-membership`/`ip-drop-membership` (`{multiaddr=, interface=}`), their `ipv6-` forms, `ipv6-v6only`, buffer sizes, `error`.",
		Args:    []bind.Arg{{Name: "size", Meaning: "the most bytes to take (default 8192)"}, {Name: "ip", Meaning: "an IP address"}},
		Returns: "as LuaSocket: `1` for success; the datagram (and the sender's ip and port).",
		Errors:  "`nil, message` (`\"timeout\"`, `\"refused\"`, `\"connection refused\"`); the wrong class raises.",
		Example: `local socket = require "socket"
local a, b = socket.udp(), socket.udp()
a:setsockname("127.0.0.1", 0) b:setsockname("127.0.0.1", 0)
local _, port = b:getsockname()
a:sendto("ping", "127.0.0.1", port)
b:settimeout(5)
print(b:receivefrom())  --> ping  127.0.0.1  <a's port>
a:close() b:close()`,
	}, Fn: nil},
}

// docModule makes help find the docs of module t's functions: the doc
// named prefix.name documents t[name].
func (s *State) docModule(prefix string, t *lua.LTable) {
	for _, f := range luasocketFuncDocs {
		name, ok := strings.CutPrefix(f.Doc.Name, prefix+".")
		if !ok || strings.Contains(name, ".") || strings.Contains(name, "-") {
			continue
		}
		if fn, ok := t.RawGetString(name).(*lua.LFunction); ok {
			s.host.Document(fn, f.Doc)
		}
	}
}
