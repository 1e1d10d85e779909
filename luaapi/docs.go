package luaapi

import (
	"fmt"
	"strings"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/lib/binary"
	"github.com/sockshell/sockshell/luaapi/lib/capture"
	"github.com/sockshell/sockshell/luaapi/lib/luasocket"
	lua "github.com/yuin/gopher-lua"
)

// libFunc is one Lua function: its doc and its Go implementation.
type libFunc struct {
	doc *bind.Doc
	fn  func(*Session, *lua.LState) int
}

// Docs lists every documented function in reference order.
func Docs() []*bind.Doc {
	var out []*bind.Doc
	for _, lib := range libraries {
		for _, f := range lib.funcs {
			out = append(out, f.doc)
		}
	}
	return out
}

// Section is a group of functions in the reference.
type Section struct {
	Title string
	Intro string
	Docs  []*bind.Doc
}

// Sections lists the reference's sections in order.
func Sections() []Section {
	var out []Section
	for _, lib := range libraries {
		sec := Section{Title: lib.title, Intro: lib.intro}
		for _, f := range lib.funcs {
			sec.Docs = append(sec.Docs, f.doc)
		}
		out = append(out, sec)
	}
	return out
}

// library is a group of functions: globals, or methods of a userdata type.
type library struct {
	title, intro string
	funcs        []libFunc
	methods      bool // methods of the socket type, not globals
}

// libraries is the one registry of Lua functions; a new function is a new
// entry in its library's table. It is set in init because help() reads it.
var libraries []library

func init() {
	libraries = []library{
		{"Sockets", "`listen` binds a UDP socket, as in the chapter, or a TCP listener; `connect` opens a TCP connection.", append(append(append([]libFunc{}, socketFuncs...), tcpFuncs...), registryFuncs...), false},
		{"UDP", "Datagrams, as in the chapter: bind with `listen`, then `recvfrom` and `sendto`.", udpFuncs, false},
		{"Methods of every socket", "Every socket `s` — UDP, TCP stream or TCP listener — has these methods.", socketMethods, true},
		{"UDP socket methods", "", udpMethods, true},
		{"TCP stream methods", "A stream `c` from `connect` or `accept` has these methods, and those of every socket. Reads follow LuaSocket's patterns; a read that fails returns what it had read as a third result, so nothing is lost.", streamMethods, true},
		{"TCP listener methods", "", listenerMethods, true},
		{"Tasks", "Many conversations at once: tasks run side by side on the session, each reading as blocking code.", taskFuncs, false},
		{"Task methods", "A task `t` from `spawn` has these methods, and the fields `t.status` and `t.id`.", taskMethods, true},
		fromLibrary(binary.Library),
		fromLibrary(binary.Bit32),
		{"The host", "", append(append([]libFunc{}, hostFuncs...), timeFuncs...), false},
		{"Plugins", "A plugin is a Lua module on the plugin path (see `plugins`); it can add shell commands and document its functions.", pluginFuncs, false},
		{"Seeing the traffic", "", traceFuncs, true},
		{"Dissectors", "Protocols that `trace` and `show` decode.", dissectFuncs, false},
		fromLibrary(capture.Library),
		fromLibrary(luasocket.Library),
		{"The shell", "", append(append(append(append([]libFunc{}, shellFuncs...), historyFuncs...), showFuncs...), tourFuncs...), false},
	}
}

// fromLibrary is a library package's functions as the registry keeps them.
func fromLibrary(lib bind.Library) library {
	funcs := make([]libFunc, len(lib.Funcs))
	for i, f := range lib.Funcs {
		funcs[i] = libFunc{f.Doc, nil}
		if fn := f.Fn; fn != nil {
			funcs[i].fn = func(_ *Session, L *lua.LState) int { return fn(L) }
		}
	}
	return library{lib.Title, lib.Intro, funcs, lib.Methods}
}

// Lookup finds a doc by name ("listen", "socket:recvfrom", or "recvfrom"
// for a method that has no function of that name).
func Lookup(name string) *bind.Doc {
	for _, d := range Docs() {
		if d.Name == name {
			return d
		}
	}
	for _, d := range Docs() {
		if strings.HasSuffix(d.Name, ":"+name) {
			return d
		}
	}
	return nil
}

// Reference renders the whole Lua API reference in Markdown.
func Reference() string {
	var b strings.Builder
	for _, sec := range Sections() {
		fmt.Fprintf(&b, "### %s\n\n", sec.Title)
		if sec.Intro != "" {
			b.WriteString(sec.Intro + "\n\n")
		}
		for _, d := range sec.Docs {
			b.WriteString(d.Markdown() + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
