package lua

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesAreCurrent runs go-inline (the Makefile's generator)
// on a copy of the package and checks that it makes vm.go and state.go as
// they are: a change made to a generated file alone, and lost at the next
// generation, fails here. sockshell: see README.sockshell.md.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is missing: apt-get install -y python3")
		}
		t.Skip("python3 is missing: apt-get install -y python3")
	}
	dir := t.TempDir()
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range sources {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tool, err := filepath.Abs("_tools/go-inline")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, append([]string{tool}, sources...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go-inline: %v\n%s", err, out)
	}
	for _, name := range []string{"vm.go", "state.go"} {
		made, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if made, err = format.Source(made); err != nil {
			t.Fatalf("%s as generated: %v", name, err)
		}
		have, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(made, have) {
			t.Errorf("%s differs from what go-inline makes of _%s: edit _%s, then run make (or go-inline and gofmt)", name, name, name)
		}
	}
}
