package luaapi

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

// TestScripts runs every testdata/*.lua file as a subtest. A file states
// what it must print after a line "-- Output:", each expected line behind
// "-- ". A line "-- Error: REGEXP" says the script must end with a Lua
// error matching REGEXP; "-- Exit: N" that it must call os.exit(N).
// Adding a test is adding a file.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test scripts: %v", err)
	}
	same, err := filepath.Glob("testdata/lua51/*.lua")
	if err != nil || len(same) == 0 {
		t.Fatalf("no testdata/lua51 scripts: %v", err)
	}
	for _, file := range append(files, same...) {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), ".lua")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := parseExpectations(t, string(src))
			var out bytes.Buffer
			s := New(Options{Stdout: &out, Stderr: &out})
			defer s.Close()
			err = runGuarded(t, s, file)
			if got := out.String(); got != want.output {
				t.Errorf("output:\n%s\nwant:\n%s", got, want.output)
			}
			checkEnd(t, err, want)
		})
	}
}

// TestLua51Agrees runs every testdata/lua51/*.lua file in the real lua5.1
// too: each of them prints what Lua 5.1 prints, so its "-- Output:" block
// is checked against the reference interpreter as well as against
// sockshell (TestScripts).
func TestLua51Agrees(t *testing.T) {
	lua := testenv.Need(t, "lua5.1", "lua5.1")
	files, err := filepath.Glob("testdata/lua51/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/lua51 scripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".lua"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := parseExpectations(t, string(src))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, lua, file)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if got := string(out); got != want.output {
				t.Errorf("lua5.1 printed:\n%s\nthe file expects:\n%s", got, want.output)
			}
			if (err != nil) != (want.errRe != nil) || (want.errRe != nil && !want.errRe.MatchString(stderr.String())) {
				t.Errorf("lua5.1 ended with %v: %s", err, stderr.String())
			}
		})
	}
}

type expectations struct {
	output  string
	errRe   *regexp.Regexp
	exit    int
	hasExit bool
}

func parseExpectations(t *testing.T, src string) expectations {
	var e expectations
	var out []string
	inOutput := false
	for _, line := range strings.Split(src, "\n") {
		switch {
		case line == "-- Output:":
			inOutput = true
		case strings.HasPrefix(line, "-- Error: "):
			e.errRe = regexp.MustCompile(strings.TrimPrefix(line, "-- Error: "))
			inOutput = false
		case strings.HasPrefix(line, "-- Exit: "):
			n, err := strconv.Atoi(strings.TrimPrefix(line, "-- Exit: "))
			if err != nil {
				t.Fatalf("bad Exit line %q", line)
			}
			e.exit, e.hasExit = n, true
			inOutput = false
		case inOutput && (line == "--" || strings.HasPrefix(line, "-- ")):
			out = append(out, strings.TrimPrefix(strings.TrimPrefix(line, "--"), " "))
		default:
			inOutput = false
		}
	}
	if len(out) > 0 {
		e.output = strings.Join(out, "\n") + "\n"
	}
	return e
}

// runGuarded runs a file in s, interrupting it if it runs away.
func runGuarded(t *testing.T, s *Session, file string) error {
	t.Helper()
	fn, err := s.LoadFile(file, nil)
	if err != nil {
		return err
	}
	// A bound for a script that hangs, far above what any takes alone
	// (about a second at most): go test ./... runs packages side by side,
	// and the memory tests of one slow the others down.
	guard := time.AfterFunc(90*time.Second, func() { s.Interrupt() })
	defer guard.Stop()
	_, err = s.Call(fn)
	return err
}

func checkEnd(t *testing.T, err error, want expectations) {
	t.Helper()
	var exit *ExitError
	switch {
	case want.hasExit:
		if !errors.As(err, &exit) || exit.Code != want.exit {
			t.Errorf("ended with %v, want os.exit(%d)", err, want.exit)
		}
	case want.errRe != nil:
		if err == nil || !want.errRe.MatchString(err.Error()) {
			t.Errorf("ended with %v, want an error matching %q", err, want.errRe)
		}
	case err != nil:
		var le *Error
		if errors.As(err, &le) {
			t.Errorf("unexpected error: %s\n%s", le.Message, le.Traceback)
		} else {
			t.Errorf("unexpected error: %v", err)
		}
	}
}
