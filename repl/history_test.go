package repl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockshell/sockshell/luaapi"
)

// An experiment typed at the prompt, saved with :save, runs again as a
// script and prints what the prompt showed; history numbers every chunk
// and marks those that failed; save refuses to overwrite without !.
func TestSaveReplaysTheSession(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "probe.lua")
	input := strings.Join([]string{
		`s = listen(0, "127.0.0.1")`,
		`port = select(2, s:getsockname())`,
		`function twice(x)`,
		`  return x * 2`,
		`end`,
		`twice(21)`,
		`s:sendto("hello", "127.0.0.1", port)`,
		`error("boom")`,
		`x = = 1`,
		`?recvfrom`,
		`(s:recvfrom(100, 5))  -- the datagram`,
		`print("printed")`,
		`:history`,
		`:save ` + out,
		`:save ` + out,
		`:save! ` + out + ` 6 9`,
		`:save ` + out + `.2 1-2 3`,
		`:save ` + out + `.3 40`,
		``,
	}, "\n")
	_, transcript := shell(t, input)
	for _, want := range []string{
		"   1   s = listen(0, \"127.0.0.1\")\n",
		"   3   function twice(x)\n         return x * 2\n       end\n",
		"   6!  error(\"boom\")\n",
		"   7?  x = = 1\n",
		"   8   ?recvfrom\n",
		"saved 7 chunks (1-5 9-10) to " + out + "; run it with: sockshell " + out + "\n",
		out + " exists: save(\"" + out + "\", {force = true}) or :save! replaces it\n",
		"saved 2 chunks (6 9) to " + out,
		"saved 3 chunks (1-3) to " + out + ".2",
		"bad argument #2 to 'save' (no chunk 40: history has 1-15)",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript)
		}
	}
	// A new session: save the chunks that ran and run that script; it
	// prints what the prompt showed.
	_, transcript = shell(t, strings.Join([]string{
		`s = listen(0, "127.0.0.1")`,
		`port = select(2, s:getsockname())`,
		`s:sendto("hello", "127.0.0.1", port)`,
		`(s:recvfrom(100, 5))`,
		`{answer = 6 * 7}`,
		`=#"four"`,
		`:save! ` + out,
		``,
	}, "\n"))
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, transcript)
	}
	want := `s = listen(0, "127.0.0.1")
port = select(2, s:getsockname())
show(s:sendto("hello", "127.0.0.1", port))
show((s:recvfrom(100, 5)))
show({answer = 6 * 7})
show(#"four")
`
	if !strings.HasPrefix(string(src), "-- "+out+": chunks 1-6 typed at the sockshell prompt on ") ||
		!strings.HasSuffix(string(src), "\n\n"+want) {
		t.Errorf("saved script:\n%s\nwant its body:\n%s", src, want)
	}
	var ran bytes.Buffer
	s := luaapi.New(luaapi.Options{Stdout: &ran, Stderr: &ran})
	defer s.Close()
	fn, err := s.LoadFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Call(fn); err != nil {
		t.Fatalf("the saved script failed: %v\n%s", err, ran.String())
	}
	prompt := transcript[strings.Index(transcript, "> ")+2:]
	prompt = strings.ReplaceAll(prompt, "> ", "")
	prompt = prompt[:strings.Index(prompt, "saved ")]
	if ran.String() != prompt {
		t.Errorf("the script printed:\n%s\nthe prompt showed:\n%s", ran.String(), prompt)
	}
}
