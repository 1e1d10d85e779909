// Package thirdparty runs the tests of the modules sockshell keeps in
// third_party/. Each is a module of its own, which the root's
// "go test ./..." does not enter: this test runs "go test" there.
package thirdparty

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestGopherLua runs gopher-lua's own tests (its Go tests, its
// _glua-tests and its copy of Lua 5.1's test suite) on sockshell's fork,
// and the check that vm.go and state.go are what their templates make.
func TestGopherLua(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: gopher-lua's tests take about ten seconds")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	args := []string{"test", "-count=1"}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "./...")...)
	cmd.Dir = "gopher-lua"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in third_party/gopher-lua: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
