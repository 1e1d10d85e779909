package luaapi

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// safeFixture makes a current directory (here.txt, sub/, and links to
// outside: link, linkdir) and a directory outside it (x.txt, mod.lua,
// script.lua); it returns the current directory, the outside one, and
// x.txt.
func safeFixture(t *testing.T) (cwd, outsideDir, outside string) {
	cwd = t.TempDir()
	t.Chdir(cwd)
	outsideDir = t.TempDir()
	outside = filepath.Join(outsideDir, "x.txt")
	writeFile(t, outside, "secret")
	writeFile(t, filepath.Join(outsideDir, "mod.lua"), "return 'loaded from outside'")
	writeFile(t, filepath.Join(outsideDir, "script.lua"), "return 'ran'")
	writeFile(t, filepath.Join(cwd, "here.txt"), "inside")
	os.Symlink(outside, filepath.Join(cwd, "link"))
	os.Symlink(outsideDir, filepath.Join(cwd, "linkdir"))
	os.Mkdir(filepath.Join(cwd, "sub"), 0o755)
	return cwd, outsideDir, outside
}

// --safe denies by default and grants by flag: every escape below is
// refused, naming the flag that would allow it, and what the flags grant
// works.
func TestSafe(t *testing.T) {
	cwd, outsideDir, outside := safeFixture(t)
	var out bytes.Buffer
	s := New(Options{Stdout: &out, Stderr: &out, Safe: true, PluginDirs: []PluginDir{},
		Allow: Permissions{Read: []string{"."}, Write: []string{"."}, Net: []string{"127.0.0.1"}}})
	defer s.Close()
	s.SetGlobal("outside", luaString(outside))
	s.SetGlobal("outsideDir", luaString(outsideDir))
	denied := func(what, flag string) string {
		return what + " is not allowed in --safe mode (" + flag + " allows it)"
	}
	for src, want := range map[string]string{
		// Programs, native code, the process, other code.
		`return select(2, pcall(os.execute, "true"))`:        "os.execute is not allowed in --safe mode",
		`return select(2, pcall(io.popen, "true"))`:          "io.popen is not allowed in --safe mode",
		`return select(2, pcall(package.loadlib, "x", "y"))`: "package.loadlib is not allowed in --safe mode",
		`return select(2, pcall(os.exit, 1))`:                "os.exit is not allowed in --safe mode",
		`return select(2, pcall(string.dump, print))`:        "string.dump is not allowed in --safe mode",
		`return tostring(debug.getinfo) .. tostring(debug.sethook) .. tostring(debug.getupvalue) .. tostring(debug.getregistry) .. type(debug.traceback)`: "nilnilnilnilfunction",
		`return tostring(package.loaded.debug.getupvalue)`: "nil",
		`return tostring((loadstring("\27Lua\81\0")))`:     "nil",
		`return tostring(channel)`:                         "nil",
		`return select(2, pcall(os.getenv, "HOME"))`:       denied("reading the environment", "--allow-env"),
		`return select(2, pcall(os.setenv, "X", "1"))`:     denied("changing the environment", "--allow-env"),
		`return select(2, pcall(io.tmpfile))`:              denied("making temporary files", "--allow-write="+os.TempDir()),
		`return select(2, pcall(os.tmpname))`:              denied("making temporary files", "--allow-write="+os.TempDir()),
		// Files outside the granted directory, by name, by link, by "..".
		`return (select(2, io.open(outside)))`:                                          denied("reading "+outside, "--allow-read="+outside),
		`return (select(2, io.open(outside, "w")))`:                                     denied("writing "+outside, "--allow-write="+outside),
		`return select(2, pcall(io.lines, outside))`:                                    "bad argument #1 to 'lines' (" + outside + ": " + denied("reading "+outside, "--allow-read="+outside) + ")",
		`return select(2, pcall(io.input, outside))`:                                    denied("reading "+outside, "--allow-read="+outside),
		`return select(2, pcall(io.output, outside))`:                                   denied("writing "+outside, "--allow-write="+outside),
		`return select(2, loadfile(outside))`:                                           "cannot open " + outside + ": " + denied("reading "+outside, "--allow-read="+outside),
		`return select(2, pcall(dofile, outside))`:                                      "cannot open " + outside + ": " + denied("reading "+outside, "--allow-read="+outside),
		`return select(2, pcall(bg, outside))`:                                          "cannot open " + outside + ": " + denied("reading "+outside, "--allow-read="+outside),
		`return select(2, os.remove(outside))`:                                          denied("remove of "+outside, "--allow-write="+outside),
		`return select(2, os.rename("here.txt", outside))`:                              denied("rename of "+outside, "--allow-write="+outside),
		`return (select(2, io.open("link")))`:                                           denied("reading link, which leads out of "+cwd+",", "--allow-read="+outside),
		`return (select(2, io.open("link", "w")))`:                                      denied("writing link, which leads out of "+cwd+",", "--allow-write="+outside),
		`return (select(2, io.open("linkdir/x.txt")))`:                                  denied("reading linkdir/x.txt, which leads out of "+cwd+",", "--allow-read="+outside),
		`return (select(2, io.open("sub/../../" .. outside:match("[^/]+/[^/]+$"))))`:    "",
		`return select(2, pcall(trace.save, outside))`:                                  "",
		`package.path = outsideDir .. "/?.lua" return select(2, pcall(require, "mod"))`: "",
		// What is granted works.
		`return io.open("here.txt"):read("*a")`: "inside",
		`local f = io.open("sub/new.txt", "w") f:write("ok") f:close() return io.open("sub/new.txt"):read("*a")`:                             "ok",
		`io.open("sub/r.txt", "w"):close() return tostring(os.rename("sub/r.txt", "sub/moved.txt")) .. tostring(os.remove("sub/moved.txt"))`: "truetrue",
		`local u = listen(0, "127.0.0.1") sendto("net", u:getsockname()) return (u:recvfrom(10, 5))`:                                         "net",
		// The network: only what --allow-net names.
		`return select(2, pcall(listen, 80))`:                                                                denied("binding 0.0.0.0:80", "--allow-net=0.0.0.0:80"),
		`return select(2, pcall(connect, "127.0.0.2", 7))`:                                                   denied("connecting to 127.0.0.2:7", "--allow-net=127.0.0.2:7"),
		`return select(2, pcall(sendto, "x", "::1", 9))`:                                                     denied("sending to [::1]:9", "--allow-net=[::1]:9"),
		`return select(2, pcall(require("socket").connect, "10.0.0.1", 80))`:                                 denied("connecting to 10.0.0.1:80", "--allow-net=10.0.0.1:80"),
		`return select(2, pcall(function() return require("socket").udp():sendto("x", "10.0.0.1", 53) end))`: denied("sending to 10.0.0.1:53", "--allow-net=10.0.0.1:53"),
		`return select(2, pcall(function() return require("socket").bind("0.0.0.0", 0) end))`:                denied("binding 0.0.0.0:0", "--allow-net=0.0.0.0"),
		`return select(2, pcall(listen, 0))`:                                                                 denied("binding 0.0.0.0:0", "--allow-net=0.0.0.0"),
		`return select(2, pcall(function() return listen(0, "127.0.0.1"):join("239.1.2.3") end))`:            denied("joining 239.1.2.3:0", "--allow-net=239.1.2.3"),
		`return select(2, pcall(function() local u = require("socket").udp() u:setsockname("127.0.0.1", 0) return u:setoption("ip-add-membership", {multiaddr = "239.1.2.3", interface = "0.0.0.0"}) end))`: denied("joining 239.1.2.3:0", "--allow-net=239.1.2.3"),
		// A refusal is EACCES, as the system's.
		`return tostring(select(3, io.open(outside)))`: "13",
	} {
		got := eval(t, s, src)
		if want == "" {
			// Refused, whatever the wording, and nothing outside read.
			if !strings.Contains(got, "not allowed in --safe mode") || strings.Contains(got, "loaded from outside") {
				t.Errorf("%s\n got %q, want a refusal", src, got)
			}
			continue
		}
		if !strings.HasSuffix(got, want) {
			t.Errorf("%s\n got %q\nwant %q", src, got, want)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Errorf("the outside file changed: %q", b)
	}
}

// The process's own /proc directory opens only where a flag names a path
// inside it, whatever else is granted: /proc/self/environ is the
// environment (--allow-env's), /proc/self/mem holds it too.
func TestSafeOwnProc(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "env")
	os.Symlink("/proc/self/environ", link)
	refused := "not allowed in --safe mode (--allow-read=/proc/self/environ allows it)"
	for _, tc := range []struct {
		allow     Permissions
		src, want string
	}{
		{Permissions{Read: []string{"/proc"}}, `return (select(2, io.open("/proc/self/environ")))`, refused},
		{Permissions{Read: []string{"/proc"}}, `return (select(2, io.open("/proc/thread-self/environ")))`, refused},
		{Permissions{Read: []string{"/proc"}}, `return (select(2, io.open("/proc/" .. pid .. "/environ")))`, refused},
		{Permissions{Read: []string{"/proc"}}, `return (select(2, io.open("/proc/./self/../self/environ")))`, refused},
		{Permissions{AllRead: true}, `return (select(2, io.open("/proc/self/environ")))`, refused},
		{Permissions{AllRead: true}, `return (select(2, io.open(link)))`, refused},
		{Permissions{AllRead: true}, `return (select(2, io.open("/proc/self/mem")))`, "(--allow-read=/proc/self/mem allows it)"},
		{Permissions{Read: []string{"/proc"}}, `return tostring(io.open("/proc/meminfo") ~= nil)`, "true"},
		{Permissions{Read: []string{"/proc/self/status"}}, `return tostring(io.open("/proc/self/status") ~= nil)`, "true"},
		{Permissions{Read: []string{"/proc/self"}}, `return tostring(io.open("/proc/self/environ") ~= nil)`, "true"},
	} {
		var out bytes.Buffer
		s := New(Options{Stdout: &out, Stderr: &out, Safe: true, PluginDirs: []PluginDir{}, Allow: tc.allow})
		s.SetGlobal("link", luaString(link))
		s.SetGlobal("pid", luaString(strconv.Itoa(os.Getpid())))
		if got := eval(t, s, tc.src); !strings.HasSuffix(got, tc.want) {
			t.Errorf("%s with %+v\n got %q\nwant %q at its end", tc.src, tc.allow, got, tc.want)
		}
		s.Close()
	}
}

// --allow-read and --allow-write without a path, --allow-net without a
// list and --allow-env grant everything of their kind.
func TestSafeAllowAll(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	writeFile(t, file, "any")
	var out bytes.Buffer
	s := New(Options{Stdout: &out, Stderr: &out, Safe: true, PluginDirs: []PluginDir{},
		Allow: Permissions{AllRead: true, AllWrite: true, AllNet: true, Env: true}})
	defer s.Close()
	s.SetGlobal("file", luaString(file))
	for src, want := range map[string]string{
		`local r = io.open(file):read("*a") return r .. tostring(os.remove(file))`: "anytrue",
		`return type(os.getenv("PATH"))`:                                           "string",
		`local l = listen(0) local ok = l ~= nil l:close() return tostring(ok)`:    "true",
		`return select(2, pcall(os.execute, "true"))`:                              "os.execute is not allowed in --safe mode",
	} {
		if got := eval(t, s, src); !strings.HasSuffix(got, want) {
			t.Errorf("%s\n got %q\nwant %q", src, got, want)
		}
	}
}

// Each escape of TestSafe works when the flag its refusal names is given:
// the sandbox refuses only what it was not told to allow.
func TestSafeEachAllowedByItsFlag(t *testing.T) {
	_, outsideDir, outside := safeFixture(t)
	base := Permissions{Read: []string{"."}, Write: []string{"."}}
	grant := func(f func(p *Permissions)) Permissions {
		p := base
		p.Read = append([]string(nil), base.Read...)
		p.Write = append([]string(nil), base.Write...)
		f(&p)
		return p
	}
	readOut := grant(func(p *Permissions) { p.Read = append(p.Read, outsideDir) })
	writeOut := grant(func(p *Permissions) { p.Write = append(p.Write, outsideDir) })
	for _, tc := range []struct {
		allow     Permissions
		src, want string
	}{
		{readOut, `return io.open(outside):read("*a")`, "secret"},
		{readOut, `local n = 0 for _ in io.lines(outside) do n = n + 1 end return n`, "1"},
		{readOut, `return io.open("link"):read("*a")`, "secret"},
		{readOut, `return loadfile(outsideDir .. "/script.lua")()`, "ran"},
		{readOut, `return dofile(outsideDir .. "/script.lua")`, "ran"},
		{readOut, `return bg(outsideDir .. "/script.lua"):wait()`, "ran"},
		{readOut, `package.path = outsideDir .. "/?.lua" return require("mod")`, "loaded from outside"},
		{writeOut, `local f = io.open(outsideDir .. "/new.txt", "w") f:write("w") f:close() return tostring(os.remove(outsideDir .. "/new.txt"))`, "true"},
		{writeOut, `io.open(outsideDir .. "/a", "w"):close() return tostring(os.rename(outsideDir .. "/a", outsideDir .. "/b")) .. tostring(os.remove(outsideDir .. "/b"))`, "truetrue"},
		{writeOut, `io.output(outsideDir .. "/out.txt") io.write("o") io.output():close() return "ok"`, "ok"},
		{writeOut, `trace(true) trace(false) return tostring(trace.save(outsideDir .. "/t.pcapng"))`, "0"},
		{grant(func(p *Permissions) { p.Write = append(p.Write, os.TempDir()) }), `local f = io.tmpfile() f:write("t") f:close() return type(os.tmpname())`, "string"},
		{grant(func(p *Permissions) { p.Env = true }), `os.setenv("SOCKSHELL_SAFE_TEST", "v") return os.getenv("SOCKSHELL_SAFE_TEST")`, "v"},
		{grant(func(p *Permissions) { p.Net = []string{"127.0.0.2"} }), `local l = listen{port = 0, host = "127.0.0.2", proto = "tcp"} local c = connect("127.0.0.2", select(2, l:getsockname())) return tostring(c ~= nil)`, "true"},
		{grant(func(p *Permissions) { p.Net = []string{"[::1]"} }), `local u = listen(0, "::1") return sendto("x", "::1", select(2, u:getsockname()))`, "1"},
		{grant(func(p *Permissions) { p.Net = []string{"127.0.0.1"} }), `local s = require("socket") local srv = s.bind("127.0.0.1", 0) local _, port = srv:getsockname() return tostring(s.connect("127.0.0.1", port) ~= nil)`, "true"},
		// The flags the refusals of port 0 and of a group name.
		{grant(func(p *Permissions) { p.Net = []string{"0.0.0.0"} }), `return tostring(listen(0) ~= nil)`, "true"},
		{grant(func(p *Permissions) { p.Net = []string{"127.0.0.1", "239.1.2.3"} }), `local ok, err = listen(0, "127.0.0.1"):join("239.1.2.3") return tostring(ok or not err:find("not allowed"))`, "true"},
	} {
		var out bytes.Buffer
		s := New(Options{Stdout: &out, Stderr: &out, Safe: true, PluginDirs: []PluginDir{}, Allow: tc.allow})
		s.SetGlobal("outside", luaString(outside))
		s.SetGlobal("outsideDir", luaString(outsideDir))
		if got := eval(t, s, tc.src); got != tc.want {
			t.Errorf("%s with %+v\n got %q\nwant %q", tc.src, tc.allow, got, tc.want)
		}
		s.Close()
	}
}
