package luaapi

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/culprit"
	lua "github.com/yuin/gopher-lua"
)

var shellFuncs = []libFunc{
	{&bind.Doc{
		Name:    "help",
		Forms:   []string{"help([x])"},
		Summary: "Shows what there is: with no argument, every function by topic, one line each; with a function, its name or a method's name, that one in full; with a topic (`help \"udp\"`), the topic; with a socket or task, its methods; with a loaded plugin, its functions. `?name` at the prompt is `help \"name\"`, and `:help` lists the shell's commands.",
		Args: []bind.Arg{
			{Name: "x", Meaning: "a function (`help(listen)`), a name (`help \"recvfrom\"`, `help \"socket:close\"`), a topic (`\"sockets\"`, `\"udp\"`, `\"tcp\"`, `\"tasks\"`, `\"binary\"`, `\"host\"`, `\"plugins\"`, `\"shell\"`), a socket, a task, or a plugin module"},
		},
		Returns: "nothing; it prints.",
		Errors:  "Something it has no help for says so and points at `help()`.",
		Example: `help(sendto)
help("udp")`,
	}, (*Session).lHelp},
}

// width is how wide help's lines may be.
func (s *Session) width() int {
	if s.widthOf != nil {
		if w := s.widthOf(); w >= 40 {
			return min(w, 120)
		}
	}
	return 80
}

func (s *Session) lHelp(L *lua.LState) int {
	var text string
	if d := s.docsByFn[L.Get(1)]; d != nil {
		s.page(s.docText(d))
		return 0
	}
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
		text = s.helpIndex()
	case lua.LString:
		text = s.helpName(strings.TrimSpace(string(v)))
	case *lua.LUserData:
		text = s.helpMethods(v)
	case *lua.LTable:
		text = s.helpModule(L, v)
	default:
		if d := s.docsByFn[v]; d != nil {
			text = s.docText(d)
		}
	}
	if text == "" {
		if name, ok := L.Get(1).(lua.LString); ok {
			text = fmt.Sprintf("no help for '%s'; ", strings.TrimSpace(string(name)))
			if near := culprit.Closest(strings.TrimSpace(string(name)), s.helpNames()); near != "" {
				text += fmt.Sprintf("did you mean '%s'? ", near)
			}
			text += "help() lists everything there is\n"
		} else {
			text = fmt.Sprintf("no help for %s; help() lists everything there is\n", describeSock(L.Get(1)))
		}
	}
	s.page(text)
	return 0
}

// page writes text, a screenful at a time on a terminal: what does not fit
// waits, announced by a --More-- line, until More shows it (the shell does
// on Enter on an empty line) or anything else is typed (DropMore), as
// git's and Python's help page theirs.
func (s *Session) page(text string) {
	s.more = nil
	height := 0
	if s.heightOf != nil {
		height = s.heightOf()
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if height < 10 || len(lines) <= height-1 {
		io.WriteString(s.stdout, text)
		return
	}
	s.more = lines
	s.showMore(height)
}

// showMore writes the next screenful of paged text.
func (s *Session) showMore(height int) {
	n := min(height-2, len(s.more))
	io.WriteString(s.stdout, strings.Join(s.more[:n], ""))
	s.more = s.more[n:]
	if len(s.more) > 0 {
		fmt.Fprintf(s.stdout, "--More-- (%d more lines: Enter shows them, anything else goes on)\n", len(s.more))
	} else {
		s.more = nil
	}
}

// More shows the next screenful of text that help paged, and reports
// whether there was any.
func (s *Session) More() bool {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	if len(s.more) == 0 || s.heightOf == nil {
		return false
	}
	s.showMore(max(s.heightOf(), 10))
	return true
}

// DropMore forgets what help paged and did not show.
func (s *Session) DropMore() {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	s.more = nil
}

// topics are the names help takes for the reference's sections.
var topics = map[string][]string{
	"sockets":   {"Sockets", "Methods of every socket"},
	"udp":       {"UDP", "UDP socket methods"},
	"tcp":       {"TCP stream methods", "TCP listener methods"},
	"tasks":     {"Tasks", "Task methods"},
	"binary":    {"Binary data", "bit32"},
	"host":      {"The host"},
	"plugins":   {"Plugins"},
	"shell":     {"The shell", "Seeing the traffic", "Dissectors"},
	"capture":   {"Captures"},
	"luasocket": {"LuaSocket"},
}

// topicTitles head the topics in help()'s index.
var topicTitles = map[string]string{
	"sockets": "Sockets", "udp": "UDP", "tcp": "TCP", "tasks": "Tasks", "binary": "Binary data",
	"host": "The host", "plugins": "Plugins", "shell": "The shell", "capture": "Captures", "luasocket": "LuaSocket programs",
}

// topicOrder is the order of help()'s index.
var topicOrder = []string{"sockets", "udp", "tcp", "tasks", "binary", "host", "plugins", "shell", "capture", "luasocket"}

func (s *Session) helpIndex() string {
	var b strings.Builder
	for _, topic := range topicOrder {
		fmt.Fprintf(&b, "%s (help %q):\n", topicTitles[topic], topic)
		for _, sec := range s.sections(topics[topic]...) {
			if sec.Title == "bit32" { // a library of its own: one line
				var names []string
				for _, d := range sec.Docs {
					names = append(names, strings.TrimPrefix(d.Name, "bit32."))
				}
				b.WriteString(bind.Wrap(fmt.Sprintf("  %-26s ", "bit32.*"), strings.Join(names, ", "), s.width(), strings.Repeat(" ", 29)))
				continue
			}
			for _, d := range sec.Docs {
				b.WriteString(s.indexLine(d))
			}
		}
	}
	if len(s.pluginDocs) > 0 {
		b.WriteString("Loaded plugins:\n")
		for _, d := range s.loadedPluginDocs("") {
			b.WriteString(s.indexLine(d))
		}
	}
	b.WriteString(bind.Wrap("", `help(fn) or help "name" shows one in full, help "udp" a topic, help(s) a socket's methods; :help lists the shell's commands.`, s.width(), ""))
	return b.String()
}

// indexLine is one function's line in an index: its call form and the
// first sentence of its summary, cut at a word to fit the width.
func (s *Session) indexLine(d *bind.Doc) string {
	name := d.Forms[0]
	if i := strings.IndexByte(name, '('); i > 0 && len(name) > 26 {
		name = name[:i] + "(…)"
	}
	head := fmt.Sprintf("  %-26s ", name)
	return head + fit(firstSentence(d.Summary), s.width()-utf8.RuneCountInString(head)) + "\n"
}

// fit cuts text at a space to at most width runes, marking the cut with …
func fit(text string, width int) string {
	if utf8.RuneCountInString(text) <= width {
		return text
	}
	runes := []rune(text)
	cut := width - 1
	for cut > 0 && runes[cut] != ' ' {
		cut--
	}
	if cut == 0 {
		cut = width - 1
	}
	return strings.TrimRight(string(runes[:cut]), " ,;:") + "…"
}

// sections are the reference's sections of those titles, in order.
func (s *Session) sections(titles ...string) []Section {
	var out []Section
	for _, title := range titles {
		for _, sec := range Sections() {
			if sec.Title == title {
				out = append(out, sec)
			}
		}
	}
	return out
}

// helpName is help for a name: a topic, a function or a method, or a
// plugin's documented function.
// helpNames are the names help finds: topics, functions, methods by
// their own name, and plugins' functions.
func (s *Session) helpNames() []string {
	var names []string
	for topic := range topics {
		names = append(names, topic)
	}
	for _, d := range Docs() {
		names = append(names, d.Name)
		if _, method, ok := strings.Cut(d.Name, ":"); ok {
			names = append(names, method)
		}
	}
	for name := range s.pluginDocs {
		names = append(names, name)
	}
	return names
}

func (s *Session) helpName(name string) string {
	if titles, ok := topics[strings.ToLower(name)]; ok {
		var b strings.Builder
		for _, sec := range s.sections(titles...) {
			fmt.Fprintf(&b, "%s:\n", sec.Title)
			if sec.Intro != "" {
				b.WriteString(bind.Wrap("  ", bind.Unmark(sec.Intro), s.width(), "  "))
			}
			for _, d := range sec.Docs {
				b.WriteString(s.indexLine(d))
			}
		}
		return b.String()
	}
	if d := s.pluginDocs[name]; d != nil {
		return s.docText(d)
	}
	if d := Lookup(name); d != nil {
		return s.docText(d)
	}
	if docs := s.loadedPluginDocs(name + "."); len(docs) > 0 {
		return s.moduleText(name, docs)
	}
	return ""
}

// helpMethods lists the methods of a socket or a task.
func (s *Session) helpMethods(ud *lua.LUserData) string {
	var titles []string
	what := ""
	switch v := ud.Value.(type) {
	case *udpSocket:
		titles, what = []string{"UDP socket methods", "Methods of every socket"}, v.String()
	case *tcpStream:
		titles, what = []string{"TCP stream methods", "Methods of every socket"}, v.String()
	case *tcpListener:
		titles, what = []string{"TCP listener methods", "Methods of every socket"}, v.String()
	case *task:
		titles, what = []string{"Task methods"}, fmt.Sprintf("task#%d", v.id)
	case bind.Helper:
		return v.Help(ud)
	default:
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s has these methods:\n", what)
	for _, sec := range s.sections(titles...) {
		for _, d := range sec.Docs {
			b.WriteString(s.indexLine(d))
		}
	}
	return b.String()
}

// helpModule lists the documented functions of a loaded plugin module.
func (s *Session) helpModule(L *lua.LState, mod *lua.LTable) string {
	loaded, _ := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable)
	if loaded == nil {
		return ""
	}
	name := ""
	loaded.ForEach(func(k, v lua.LValue) {
		if v == mod {
			name = k.String()
		}
	})
	if name == "" {
		return ""
	}
	docs := s.loadedPluginDocs(name + ".")
	if len(docs) == 0 {
		return fmt.Sprintf("the %s plugin documents no functions; its fields: %s\n", name, s.show(L, mod))
	}
	return s.moduleText(name, docs)
}

func (s *Session) moduleText(name string, docs []*bind.Doc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The %s plugin:\n", name)
	for _, d := range docs {
		b.WriteString(s.indexLine(d))
	}
	return b.String()
}

// loadedPluginDocs lists the plugins' docs whose names start with prefix,
// sorted.
func (s *Session) loadedPluginDocs(prefix string) []*bind.Doc {
	var out []*bind.Doc
	for name, d := range s.pluginDocs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// docText is d in full, wrapped to the width.
func (s *Session) docText(d *bind.Doc) string {
	w := s.width()
	var b strings.Builder
	for _, f := range d.Forms {
		b.WriteString(f + "\n")
	}
	b.WriteString(bind.Wrap("  ", bind.Unmark(d.Summary), w, "  "))
	for _, a := range d.Args {
		head := fmt.Sprintf("  %-9s ", a.Name)
		b.WriteString(bind.Wrap(head, bind.Unmark(a.Meaning), w, strings.Repeat(" ", len(head))))
	}
	if d.Returns != "" {
		b.WriteString(bind.Wrap("  Returns: ", bind.Unmark(d.Returns), w, "    "))
	}
	if d.Errors != "" {
		b.WriteString(bind.Wrap("  Errors: ", bind.Unmark(d.Errors), w, "    "))
	}
	if ex := strings.TrimSpace(d.Example); ex != "" {
		b.WriteString("  Example:\n")
		for _, line := range strings.Split(ex, "\n") {
			b.WriteString("    " + line + "\n")
		}
	}
	return b.String()
}

// firstSentence is s up to the end of its first sentence: a period
// followed by a space, not one of an ellipsis or inside backticks.
func firstSentence(s string) string {
	inCode := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '`':
			inCode = !inCode
		case '.':
			if !inCode && i+1 < len(s) && s[i+1] == ' ' && (i == 0 || s[i-1] != '.') {
				return bind.Unmark(s[:i+1])
			}
		}
	}
	return bind.Unmark(s)
}
