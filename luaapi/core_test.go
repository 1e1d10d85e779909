package luaapi

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// One socket core: every system call on a socket is luaapi/sock's. The
// LuaSocket layer and the native functions only translate their APIs and
// words; no file of this package imports the system call package but
// those that read the machine's memory size (syscall's error numbers name
// failures in words, and are no calls).
func TestOneSocketCore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "memory_") {
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
