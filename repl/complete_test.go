package repl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockshell/sockshell/luaapi"
)

// Tab completes globals, fields, methods, commands and file names, from a
// snapshot of the session's names.
func TestComplete(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "scripts"), 0o755)
	os.WriteFile(filepath.Join(dir, "scripts", "receiver.lua"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "scratch.txt"), nil, 0o644)
	t.Chdir(dir)
	s := luaapi.New(luaapi.Options{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	if err := s.DoString(`sock = listen(0, "127.0.0.1") worker = spawn(sleep, 60) dns = {query = print, qtype = 1}`, "setup"); err != nil {
		t.Fatal(err)
	}
	c := &completer{}
	c.names.Store(s.Names())
	for _, tc := range []struct {
		line string
		want []string // whole candidates
	}{
		{"x = string.fo", []string{"format"}},
		{"dns.q", []string{"qtype", "query"}},
		{"sock:re", []string{"recvfrom"}},
		{"sock:se", []string{"sendto", "setoption", "settimeout"}},
		{"worker:w", []string{"wait"}},
		{"recv", []string{"recvfrom"}},
		{"whi", []string{"while"}},
		{":he", []string{"help"}},
		{":so", []string{"sockets"}},
		{`dofile("scr`, []string{"scratch.txt", "scripts/"}},
		{`bg("scripts/re`, []string{"scripts/receiver.lua"}},
		{"print(1) -- dofile(\"scr", nil},
		{"nothing.x", nil},
	} {
		ends, n := c.Do([]rune(tc.line), len([]rune(tc.line)))
		word := string([]rune(tc.line)[len([]rune(tc.line))-n:])
		var got []string
		for _, e := range ends {
			got = append(got, word+string(e))
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
		}
	}
}
