package luaapi

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/scripts"
)

// Every example in the docs runs, so help() and luaapi/README.md never show code
// that fails.
func TestDocExamplesRun(t *testing.T) {
	for _, d := range Docs() {
		t.Run(d.Name, func(t *testing.T) {
			if d.Name == "" || len(d.Forms) == 0 || d.Summary == "" || d.Returns == "" || d.Errors == "" || d.Example == "" {
				t.Fatalf("incomplete doc: %+v", d)
			}
			if strings.Contains(d.Forms[0], "(") && !strings.Contains(d.Forms[0], "()") && len(d.Args) == 0 {
				t.Errorf("%s takes arguments but documents none", d.Forms[0])
			}
			var out strings.Builder
			s := New(Options{Stdout: &out, Stderr: &out, Builtin: scripts.FS, PluginDirs: []PluginDir{}})
			defer s.Close()
			fn, err := s.Compile(d.Example, d.Name)
			if err != nil {
				t.Fatal(err)
			}
			guard := time.AfterFunc(10*time.Second, func() { s.Interrupt() })
			defer guard.Stop()
			if _, err := s.Call(fn); err != nil {
				t.Fatalf("example failed: %v\n%s\nit printed:\n%s", err, d.Example, out.String())
			}
			if out.Len() == 0 {
				t.Errorf("example printed nothing")
			}
			if missing := unprinted(d.Example, out.String()); missing != "" {
				t.Errorf("the example shows %q, which it does not print; it printed:\n%s", missing, out.String())
			}
		})
	}
}

// unprinted is the first result an example shows after "-->" that its
// output lacks, in order: each shown line must match a line printed after
// the one the previous shown line matched. In a shown line, two spaces or
// more stand for the tab between print's values (or for themselves),
// <words> for any text (a port the system chose) and … for any rest.
func unprinted(example, output string) string {
	printed := strings.Split(output, "\n")
	for _, line := range strings.Split(example, "\n") {
		_, shown, ok := strings.Cut(line, "-->")
		if !ok {
			continue
		}
		shown = strings.TrimSpace(shown)
		found := false
		for len(printed) > 0 && !found {
			found = shownAs(shown).MatchString(printed[0])
			printed = printed[1:]
		}
		if !found {
			return shown
		}
	}
	return ""
}

// shownAs is the pattern of a line an example shows after "-->".
func shownAs(shown string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i, field := range regexp.MustCompile(`\s{2,}`).Split(shown, -1) {
		if i > 0 {
			b.WriteString(`(\t|\s{2,})`)
		}
		for j, part := range regexp.MustCompile(`<[^<>]+>`).Split(field, -1) {
			if j > 0 {
				b.WriteString(".+?")
			}
			b.WriteString(strings.ReplaceAll(regexp.QuoteMeta(part), "…", ".*?"))
		}
	}
	b.WriteString(`\s*$`)
	return regexp.MustCompile(b.String())
}

// Every global function and socket method has a doc, and help finds it by
// value and by name.
func TestEveryFunctionDocumented(t *testing.T) {
	var out strings.Builder
	s := New(Options{Stdout: &out})
	defer s.Close()
	for _, lib := range libraries {
		for _, f := range lib.funcs {
			if Lookup(f.doc.Name) != f.doc {
				t.Errorf("Lookup(%q) does not find its doc", f.doc.Name)
			}
		}
	}
	for _, src := range []string{"help(listen)", `help("listen")`, `help(listen(0).recvfrom)`, `help("socket:close")`, `help("close")`} {
		out.Reset()
		if err := s.DoString(src, "test"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Example:") {
			t.Errorf("%s printed %q", src, out.String())
		}
	}
	out.Reset()
	s.DoString(`help("nope")`, "test")
	if got := out.String(); got != "no help for 'nope'; help() lists everything there is\n" {
		t.Errorf("help(\"nope\") printed %q", got)
	}
	// help() names every function, one line each, within 80 columns,
	// and the topics cover every section.
	out.Reset()
	s.DoString(`help()`, "test")
	index := out.String()
	for _, d := range Docs() {
		name := d.Forms[0]
		if i := strings.IndexByte(name, '('); i > 0 {
			name = name[:i+1]
		}
		if strings.HasPrefix(name, "bit32.") {
			name = strings.TrimSuffix(strings.TrimPrefix(name, "bit32."), "(")
		}
		if !strings.Contains(index, name) {
			t.Errorf("help() does not list %s", d.Forms[0])
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(index, "\n"), "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("help() line of %d columns: %q", n, line)
		}
	}
	covered := map[string]bool{}
	for _, titles := range topics {
		for _, title := range titles {
			covered[title] = true
		}
	}
	for _, sec := range Sections() {
		if !covered[sec.Title] {
			t.Errorf("no topic shows section %q", sec.Title)
		}
	}
	// A topic, a socket, a task, a plugin's documented functions.
	for src, want := range map[string]string{
		`help("udp")`:                  "sock:recvfrom(…)",
		`help(listen(0, "127.0.0.1"))`: "udp{127.0.0.1:",
		`help(spawn(sleep, 0))`:        "t:wait([timeout])",
		`describe{name = "mine.go", signature = "mine.go(x)", summary = "Goes somewhere. Far."} package.loaded.mine = {} help(package.loaded.mine) help()`: "mine.go(x)                 Goes somewhere.",
	} {
		out.Reset()
		if err := s.DoString(src, "test"); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("%s: %v, %q", src, err, out.String())
		}
	}
}
