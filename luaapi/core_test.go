package luaapi

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// One socket core: every system call on a socket is luaapi/sock's. The
// LuaSocket layer and the native functions only translate their APIs and
// words; no file of this package or of the library packages imports the
// system call package (syscall's error numbers name failures in words, and
// are no calls).
func TestOneSocketCore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	libs, err := filepath.Glob("lib/*/*.go")
	if err != nil || len(libs) == 0 {
		t.Fatalf("no library files: %v", err)
	}
	files = append(files, libs...)
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "golang.org/x/sys/unix" {
				t.Errorf("%s imports %s: system calls on sockets belong in luaapi/sock", name, path)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d files: not the package's directory?", checked)
	}
}

// The packages below luaapi stand on their own: the socket core imports
// no Lua, and no package imports the session's (luaapi) from below it.
func TestPackagesBelowLuaapi(t *testing.T) {
	const (
		luaapi = "github.com/sockshell/sockshell/luaapi"
		glua   = "github.com/yuin/gopher-lua"
	)
	forbidden := map[string][]string{
		"./sock":          {glua, luaapi},
		"./procmem":       {luaapi, luaapi + "/sock"},
		"./culprit":       {luaapi, luaapi + "/sock"},
		"./pcapng":        {glua, luaapi},
		"./internal/turn": {glua, luaapi},
		"./bind":          {luaapi},
	}
	// Every library package stands on the seam alone: it reaches the
	// session only through bind.Host.
	libs, err := filepath.Glob("lib/*")
	if err != nil || len(libs) == 0 {
		t.Fatalf("no library packages under luaapi/lib: %v", err)
	}
	for _, dir := range libs {
		forbidden["./"+dir] = []string{luaapi}
	}
	// The command stays quick to start: gopacket's layers fill tables for
	// every EtherType and port at start-up (15 ms became 53 ms); the tests
	// may use it to write captures, the program does not link it.
	forbidden["../cmd/sockshell"] = []string{"github.com/google/gopacket", "github.com/google/gopacket/layers"}
	for pkg, forbidden := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		for _, f := range forbidden {
			if slices.Contains(deps, f) {
				t.Errorf("%s imports %s", pkg, f)
			}
		}
	}
}
