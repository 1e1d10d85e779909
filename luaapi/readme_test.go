package luaapi

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's Lua API reference from the docs")

const (
	apiBegin = "<!-- lua-api:begin (generated from luaapi's docs: go test ./luaapi -run TestREADME -update) -->\n"
	apiEnd   = "<!-- lua-api:end -->\n"
)

// The README's Lua API reference is the docs rendered: the docs are the one
// source, and this test fails when the README drifts from them.
func TestREADMEReference(t *testing.T) {
	const path = "../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i, j := strings.Index(text, apiBegin), strings.Index(text, apiEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", apiBegin, apiEnd)
	}
	want := text[:i+len(apiBegin)] + "\n" + Reference() + "\n" + text[j:]
	if want == text {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's Lua API reference differs from the docs; run: go test ./luaapi -run TestREADME -update")
}
