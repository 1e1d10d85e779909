package luaapi

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Doc documents one Lua function. Docs are written once, beside the
// function's binding; luaapi/README.md's reference (Markdown) and the shell's
// help() (Text) are both rendered from them, and every Example is run by the
// tests, so what the docs show is what the code does.
type Doc struct {
	Name    string   // what help() looks up: "listen", "socket:recvfrom"
	Forms   []string // call forms, e.g. "listen(port [, host])"
	Summary string   // one sentence
	Args    []Arg    // each argument
	Returns string   // the results on success
	Errors  string   // what raises and what returns nil, message
	Example string   // Lua code that runs on its own, on loopback
}

// Arg documents one argument.
type Arg struct{ Name, Meaning string }

// libFunc is one Lua function: its doc and its Go implementation.
type libFunc struct {
	doc *Doc
	fn  func(*Session, *lua.LState) int
}

// Docs lists every documented function in reference order.
func Docs() []*Doc {
	var out []*Doc
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
	Docs  []*Doc
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
		{"Binary data", "Real protocols are binary: Lua 5.3's pack language and hex tools.", binaryFuncs, false},
		{"bit32", "Lua 5.2's bitwise library: numbers are taken modulo 2^32 as unsigned 32-bit integers, and results are in [0, 2^32-1].", bit32Funcs, false},
		{"The host", "", append(append([]libFunc{}, hostFuncs...), timeFuncs...), false},
		{"Plugins", "A plugin is a Lua module on the plugin path (see `plugins`); it can add shell commands and document its functions.", pluginFuncs, false},
		{"Seeing the traffic", "", traceFuncs, true},
		{"LuaSocket", "LuaSocket programs run unchanged: `require \"socket\"` gives LuaSocket's API over sockshell's sockets. These are its functions as sockshell has them; LuaSocket's manual is the full reference.", append(append([]libFunc{}, luasocketDocs...), luasocketFuncDocs...), true},
		{"The shell", "", append(append(append([]libFunc{}, shellFuncs...), showFuncs...), tourFuncs...), false},
	}
}

// Lookup finds a doc by name ("listen", "socket:recvfrom", or "recvfrom"
// for a method that has no function of that name).
func Lookup(name string) *Doc {
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

// Markdown renders d for luaapi/README.md.
func (d *Doc) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### `%s`\n\n", d.Forms[0])
	if len(d.Forms) > 1 {
		b.WriteString("Also: ")
		for i, f := range d.Forms[1:] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "`%s`", f)
		}
		b.WriteString("\n\n")
	}
	b.WriteString(d.Summary + "\n\n")
	if len(d.Args) > 0 {
		b.WriteString("| argument | meaning |\n|---|---|\n")
		for _, a := range d.Args {
			fmt.Fprintf(&b, "| `%s` | %s |\n", a.Name, strings.ReplaceAll(a.Meaning, "|", `\|`))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "**Returns** %s\n\n", d.Returns)
	if d.Errors != "" {
		fmt.Fprintf(&b, "**Errors** %s\n\n", d.Errors)
	}
	fmt.Fprintf(&b, "```lua\n%s\n```\n", strings.TrimSpace(d.Example))
	return b.String()
}

// Text renders d for help() at the prompt.
func (d *Doc) Text() string {
	var b strings.Builder
	for _, f := range d.Forms {
		b.WriteString(f + "\n")
	}
	b.WriteString("  " + unmark(d.Summary) + "\n")
	for _, a := range d.Args {
		fmt.Fprintf(&b, "  %-9s %s\n", a.Name, unmark(a.Meaning))
	}
	fmt.Fprintf(&b, "  Returns: %s\n", unmark(d.Returns))
	if d.Errors != "" {
		fmt.Fprintf(&b, "  Errors: %s\n", unmark(d.Errors))
	}
	b.WriteString("  Example:\n")
	for _, line := range strings.Split(strings.TrimSpace(d.Example), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// unmark drops Markdown's code backticks for plain text.
func unmark(s string) string { return strings.ReplaceAll(s, "`", "") }

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
