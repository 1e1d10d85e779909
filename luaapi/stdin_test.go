package luaapi

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestStdin(t *testing.T) {
	var out bytes.Buffer
	in, feed := io.Pipe()
	s := New(Options{Stdout: &out, Stdin: in})
	defer s.Close()
	go func() {
		io.WriteString(feed, "first line\nsecond\n42 7.5 tail")
		feed.Close()
	}()
	// A task reads while another runs: reading does not block the session.
	err := s.DoString(`
local ticks = 0
local ticker = spawn(function() while true do ticks = ticks + 1; sleep(0.001) end end)
local reader = spawn(function()
  local got = {}
  got[#got + 1] = io.read()
  got[#got + 1] = io.stdin:read("*L")
  got[#got + 1] = io.read("*n", "*n")
  got[#got + 1] = io.read("*a")
  got[#got + 1] = tostring(io.read())
  return table.concat(got, "|")
end)
print(reader:wait(5))
ticker:cancel()
print(pcall(io.read, "*x"))
print(io.stdin)
`, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := "first line|second\n|42| tail|nil\n" +
		"false\ttest:15: bad argument #1 to 'read' (invalid format string \"*x\")\nfile (stdin)\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

func TestStdinLines(t *testing.T) {
	var out bytes.Buffer
	s := New(Options{Stdout: &out, Stdin: strings.NewReader("a\nb\nc")})
	defer s.Close()
	if err := s.DoString(`for line in io.lines() do io.write("[", line, "]") end`, "test"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "[a][b][c]" {
		t.Errorf("got %q", out.String())
	}
}

func TestShellInput(t *testing.T) {
	var out bytes.Buffer
	s := New(Options{Stdout: &out, Stdin: ShellInput})
	defer s.Close()
	s.DoString(`print(io.read())`, "test")
	if out.String() != "nil\tstandard input belongs to the shell here\n" {
		t.Errorf("got %q", out.String())
	}
}
