package scripts

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sockshell/sockshell/luaapi"
)

// The "Write your own protocol" walkthrough (plugins/README.md) works as
// written: the plugin is assembled from its code blocks and each step is
// run.
func TestWriteYourOwnProtocol(t *testing.T) {
	readme, err := os.ReadFile("plugins/README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "# Write your own protocol")
	end := strings.Index(text[start:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("no walkthrough in plugins/README.md")
	}
	blocks := regexp.MustCompile("(?s)```lua\n(.*?)```").FindAllStringSubmatch(text[start:start+end], -1)
	if len(blocks) != 3 {
		t.Fatalf("want 3 Lua blocks, found %d", len(blocks))
	}
	module := blocks[0][1]
	if !strings.Contains(module, "return timeproto") {
		t.Fatal("the first block does not end the module")
	}
	plugin := strings.Replace(module, "return timeproto", blocks[1][1]+"\n"+blocks[2][1]+"\nreturn timeproto", 1)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "timeproto.lua"), []byte(module), 0o644)

	var out bytes.Buffer
	s := luaapi.New(luaapi.Options{Stdout: &out, Stderr: &out, Builtin: FS,
		PluginDirs: []luaapi.PluginDir{{Dir: dir, From: "config"}}})
	defer s.Close()
	do := func(src string) {
		t.Helper()
		if err := s.DoString(src, "stdin"); err != nil {
			t.Fatalf("%s: %v\n%s", src, err, out.String())
		}
	}
	do(`tp = require "timeproto"`) // step 1
	os.WriteFile(filepath.Join(dir, "timeproto.lua"), []byte(plugin), 0o644)
	do(`assert(reload("timeproto") == tp and tp.serve and tp.ask)`) // step 2
	do(`tp.serve(0)`)                                               // a server task starts
	do(`local s = listen(0, "127.0.0.1") local _, port = s:getsockname() s:close()
server = tp.serve(port) now = tp.ask("127.0.0.1", port)
assert(math.abs(now - os.time()) <= 2, now)`)
	out.Reset()
	do(`local s = listen(0, "127.0.0.1") _, timeport = s:getsockname() s:close()`)
	do(`tp.serve(timeport)`)
	if err := s.RunCommand("time 127.0.0.1 " + luaString(s, "timeport")); err != nil { // step 3
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{10}\n$`).MatchString(out.String()) {
		t.Errorf(":time printed %q", out.String())
	}
	out.Reset()
	do(`help(tp.ask)`)
	if !strings.HasPrefix(out.String(), "timeproto.ask(host, port)\n  Asks a time server for its clock, in seconds.\n") {
		t.Errorf("help printed %q", out.String())
	}
}

func luaString(s *luaapi.Session, global string) string { return s.Global(global).String() }
