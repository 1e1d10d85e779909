package bind

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
	b.WriteString("  " + Unmark(d.Summary) + "\n")
	for _, a := range d.Args {
		fmt.Fprintf(&b, "  %-9s %s\n", a.Name, Unmark(a.Meaning))
	}
	fmt.Fprintf(&b, "  Returns: %s\n", Unmark(d.Returns))
	if d.Errors != "" {
		fmt.Fprintf(&b, "  Errors: %s\n", Unmark(d.Errors))
	}
	b.WriteString("  Example:\n")
	for _, line := range strings.Split(strings.TrimSpace(d.Example), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// unmark drops Markdown's code backticks for plain text.

// Unmark drops Markdown's code backticks for plain text.
func Unmark(s string) string { return strings.ReplaceAll(s, "`", "") }

// Func is one Lua function of a library: its doc, and its body when the
// function needs nothing of a session (Fn nil: the library makes it for
// each session, as LuaSocket's are).
type Func struct {
	Doc *Doc
	Fn  lua.LGFunction
}

// Library is a group of functions as the reference and help() show them:
// globals, or methods of an object (Methods).
type Library struct {
	Title, Intro string
	Funcs        []Func
	Methods      bool
}

// MaxResults bounds how many values one call may return (unpack,
// string.byte): C Lua's limit is 8000; a whole datagram's bytes (65535)
// must fit.
const MaxResults = 1 << 17

// Wrap writes head, then text broken at spaces into lines of at most
// width, each line after the first starting with indent; it ends with a
// newline. A word longer than a line stays whole.
func Wrap(head, text string, width int, indent string) string {
	var b strings.Builder
	line, empty := head, true
	for _, word := range strings.Fields(text) {
		switch {
		case empty:
			line += word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			b.WriteString(line + "\n")
			line = indent + word
		}
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}
