package luaapi

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sockshell/sockshell/luaapi/lib/lua51"
	lua "github.com/yuin/gopher-lua"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pluginSession(t *testing.T, dirs []PluginDir, builtin fstest.MapFS) (*Session, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	s := New(Options{Stdout: &out, Stderr: &out, PluginDirs: dirs, Builtin: builtin})
	t.Cleanup(s.Close)
	return s, &out
}

func eval(t *testing.T, s *Session, src string) string {
	t.Helper()
	res := run(t, s, src)
	parts := make([]string, len(res))
	for i, v := range res {
		parts[i] = s.ToString(v)
	}
	return strings.Join(parts, "\t")
}

func TestPluginPathOrder(t *testing.T) {
	root := t.TempDir()
	a, b, c := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	for _, d := range []string{a, b, c} {
		writeFile(t, filepath.Join(d, "same.lua"), `return "`+filepath.Base(d)+`"`)
	}
	writeFile(t, filepath.Join(b, "onlyb.lua"), `return "b"`)
	writeFile(t, filepath.Join(c, "pkg", "init.lua"), `return "c/pkg"`)
	builtin := fstest.MapFS{
		"plugins/same.lua":   {Data: []byte(`return "builtin"`)},
		"plugins/inside.lua": {Data: []byte(`return "builtin"`)},
		"receiver.lua":       {Data: []byte(`print("script")`)},
	}
	dirs := []PluginDir{{a, "SOCKSHELL_PATH"}, {b, "config"}, {c, "./plugins"}}
	s, out := pluginSession(t, dirs, builtin)
	if got := eval(t, s, `return require "same", require "onlyb", require "pkg", require "inside"`); got != "a\tb\tc/pkg\tbuiltin" {
		t.Errorf("require found %q", got)
	}
	out.Reset()
	got := eval(t, s, `local l = {} for _, p in ipairs(plugins()) do l[#l+1] = p.name .. "@" .. p.from end return table.concat(l, " ")`)
	if got != "same@SOCKSHELL_PATH onlyb@config pkg@./plugins inside@builtin" {
		t.Errorf("plugins() = %q", got)
	}
	if out.Len() != 0 {
		t.Errorf("plugins() printed %q", out.String())
	}
	if got := eval(t, s, `return tostring(plugins())`); !strings.HasSuffix(got, "\ninside           builtin         builtin:inside.lua") {
		t.Errorf("tostring(plugins()) = %q", got)
	}
	// Then where lua5.1 looks: $LUA_PATH (or ./?.lua and the system's
	// directories), before the built-in plugins, so that a module installed
	// for Lua is not hidden by a plugin of its name.
	cwd := t.TempDir()
	t.Chdir(cwd)
	writeFile(t, filepath.Join(cwd, "local.lua"), `return "cwd"`)
	lib := t.TempDir()
	writeFile(t, filepath.Join(lib, "inside.lua"), `return "installed"`)
	writeFile(t, filepath.Join(lib, "same.lua"), `return "installed"`)
	t.Setenv("LUA_PATH", filepath.Join(lib, "?.lua")+";;")
	s2, _ := pluginSession(t, dirs, builtin)
	if got := eval(t, s2, `return require "local", require "inside", require "same", require "sockshell.inside"`); got != "cwd\tinstalled\ta\tbuiltin" {
		t.Errorf("with LUA_PATH: require found %q", got)
	}
	got = eval(t, s2, `local l = {} for _, p in ipairs(plugins()) do l[#l+1] = p.name .. "@" .. p.from end return table.concat(l, " ")`)
	if got != "same@SOCKSHELL_PATH onlyb@config pkg@./plugins inside@lua path sockshell.inside@builtin" {
		t.Errorf("with LUA_PATH: plugins() = %q", got)
	}
	if src, ok := s2.BuiltinScript("receiver"); !ok || src != `print("script")` {
		t.Errorf("BuiltinScript = %q, %v", src, ok)
	}
}

func TestDefaultPluginDirs(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	t.Setenv("SOCKSHELL_PATH", "/one:/two")
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	want := []PluginDir{{"/one", "SOCKSHELL_PATH"}, {"/two", "SOCKSHELL_PATH"}, {"/cfg/sockshell/plugins", "config"}}
	got := DefaultPluginDirs()
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("got %v", got)
	}
	os.Mkdir("plugins", 0o755)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	got = DefaultPluginDirs()
	if len(got) != 4 || got[2].Dir != "/home/u/.config/sockshell/plugins" || got[3] != (PluginDir{"plugins", "./plugins"}) {
		t.Errorf("got %v", got)
	}
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "proto.lua")
	writeFile(t, file, `local M = {version = 1} M.sock = listen(0, "127.0.0.1") return M`)
	s, _ := pluginSession(t, []PluginDir{{dir, "SOCKSHELL_PATH"}}, nil)
	run(t, s, `proto = require "proto"; kept = proto.sock; ip, port = kept:getsockname()`)
	writeFile(t, file, `return {version = 2}`)
	if got := eval(t, s, `local m = reload("proto") return m.version, proto.version, package.loaded.proto.version, m == proto, proto.sock`); got != "2\t2\t2\ttrue\tnil" {
		t.Errorf("after reload: %q", got)
	}
	// The socket opened by the old version still works.
	if got := eval(t, s, `sendto("still", ip, port) return (kept:recvfrom(100, 5))`); got != "still" {
		t.Errorf("old socket: %q", got)
	}
	// A broken version is refused and the previous one stays.
	writeFile(t, file, "return {\n  version = = 3 }")
	if got := eval(t, s, `return reload("proto")`); got != "nil\t"+file+":2: unexpected symbol near '='" {
		t.Errorf("syntax error: %q", got)
	}
	writeFile(t, file, "local x = nil\nreturn x.field")
	if got := eval(t, s, `return reload("proto")`); !strings.HasPrefix(got, "nil\t"+file+":2: attempt to index") {
		t.Errorf("runtime error: %q", got)
	}
	if got := eval(t, s, `return proto.version, package.loaded.proto.version`); got != "2\t2" {
		t.Errorf("after failed reloads: %q", got)
	}
	if got := eval(t, s, `return reload("nothing")`); got != "nil\tplugin 'nothing' not found (plugins() lists them)" {
		t.Errorf("missing plugin: %q", got)
	}
}

func TestCommandsAndDescribe(t *testing.T) {
	s, out := pluginSession(t, []PluginDir{}, nil)
	run(t, s, `command{name = "greet", help = "greet NAME: say hello", run = function(args) print("hello " .. table.concat(args, "+")) end}
describe{name = "greeter.go", signature = "greeter.go(who)", summary = "Greets.", example = "greeter.go('x')"}`)
	out.Reset()
	if err := s.RunCommand("greet a b"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello a+b\n" {
		t.Errorf("command printed %q", out.String())
	}
	// A name with a quote is a name, not broken code.
	out.Reset()
	if err := s.RunCommand(`reload it's`); err != nil || out.String() != "plugin 'it's' not found (plugins() lists them)\n" {
		t.Errorf(":reload it's: %v, %q", err, out.String())
	}
	out.Reset()
	s.RunCommand("help")
	if !strings.Contains(out.String(), ":greet                greet NAME: say hello\n") || !strings.Contains(out.String(), ":reload NAME") {
		t.Errorf(":help printed %q", out.String())
	}
	if err := s.RunCommand("nope"); err == nil || err.Error() != "unknown command ':nope' (:help lists them)" {
		t.Errorf("unknown command: %v", err)
	}
	out.Reset()
	run(t, s, `help("greeter.go")`)
	if !strings.HasPrefix(out.String(), "greeter.go(who)\n  Greets.\n") {
		t.Errorf("help printed %q", out.String())
	}
	for src, want := range map[string]string{
		`command{name = "bad name", run = print}`:   "name must be letters, digits, '-' or '_'",
		`command{name = "x"}`:                       "run must be a function",
		`command{name = "x", run = print, hlp = 1}`: "unknown option 'hlp'",
		`describe{name = "x"}`:                      "signature is missing",
	} {
		if err := s.DoString(src, "test"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

func luaString(s string) lua.LString { return lua.LString(s) }

// A built-in plugin's command loads its plugin on first use; :help lists
// it before; :tasks lists the live tasks.
func TestBuiltinCommandsLoadTheirPlugin(t *testing.T) {
	builtin := fstest.MapFS{
		"plugins/greeter.lua": {Data: []byte(`local m = {}
command{name = "greet", help = "greet NAME", run = function(a) print("hello " .. a[1]) end}
return m`)},
	}
	s, out := pluginSession(t, []PluginDir{}, builtin)
	if err := s.RunCommand("help"); err != nil || !strings.Contains(out.String(), ":greet                greet NAME (loads the greeter plugin)\n") {
		t.Errorf(":help: %v, %q", err, out.String())
	}
	out.Reset()
	if err := s.RunCommand("greet you"); err != nil || out.String() != "hello you\n" {
		t.Errorf(":greet: %v, %q", err, out.String())
	}
	if got := eval(t, s, `return type(greeter)`); got != "table" {
		t.Errorf("greeter global: %s", got)
	}
	if err := s.RunCommand("nothing"); err == nil || err.Error() != "unknown command ':nothing' (:help lists them)" {
		t.Errorf(":nothing: %v", err)
	}
	out.Reset()
	run(t, s, `sleeper = spawn(sleep, 60)`)
	if err := s.RunCommand("tasks"); err != nil || out.String() != "TASK    STATUS   FROM\ntask#1  waiting  test:1\n" {
		t.Errorf(":tasks: %v, %q", err, out.String())
	}
}

// TestLuaPath: package.path ends with $LUA_PATH as lua5.1 reads it, ";;"
// standing for lua5.1's default, or with that default.
func TestLuaPath(t *testing.T) {
	t.Setenv("LUA_PATH", "/mine/?.lua;;")
	if got, want := lua51.Path(), "/mine/?.lua;"+lua51.DefaultPath+";"; got != want {
		t.Errorf("LUA_PATH with ;;: %q, want %q", got, want)
	}
	os.Unsetenv("LUA_PATH")
	if got := lua51.Path(); got != lua51.DefaultPath || !strings.HasPrefix(got, "./?.lua;") {
		t.Errorf("no LUA_PATH: %q", got)
	}
}
