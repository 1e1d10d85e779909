package repl

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/sockshell/sockshell/luaapi"
)

// completer completes what is typed at the prompt from a snapshot of the
// session's names (luaapi.Names), which the shell takes between chunks:
// it runs on the line editor's goroutine and never touches the Lua state.
type completer struct {
	names atomic.Pointer[luaapi.Names]
}

// keywords complete as globals do.
var keywords = []string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
	"if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

// Do returns the endings of the candidates for what stands before pos,
// and how many runes of it they complete, as readline wants.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	n := c.names.Load()
	if n == nil {
		return nil, 0
	}
	before := string(line[:pos])
	word, cands := complete(n, before)
	var out [][]rune
	for _, cand := range cands {
		out = append(out, []rune(cand[len(word):]))
	}
	return out, len([]rune(word))
}

// complete finds, for the text before the cursor, the word being typed
// and the candidates that start with it.
func complete(n *luaapi.Names, before string) (string, []string) {
	// A shell command at the start of the line.
	if strings.HasPrefix(before, ":") && !strings.ContainsAny(before, " \t") {
		word := before[1:]
		return word, withPrefix(n.Commands, word)
	}
	// A file name inside a string.
	if open := openString(before); open >= 0 {
		return fileCandidates(before[open+1:])
	}
	// A name, a field (a.b) or a method (a:b).
	start := len(before)
	for start > 0 && isNameByte(before[start-1]) {
		start--
	}
	word := before[start:]
	if start > 0 && (before[start-1] == '.' || before[start-1] == ':') {
		sep := before[start-1]
		base := start - 1
		for base > 0 && isNameByte(before[base-1]) {
			base--
		}
		owner := before[base : start-1]
		if base > 0 && before[base-1] == '.' || owner == "" {
			return word, nil // deeper than one level, or (expr).x: nothing known
		}
		if sep == '.' {
			return word, withPrefix(n.Fields[owner], word)
		}
		return word, withPrefix(n.Methods[owner], word)
	}
	if word == "" {
		return word, nil
	}
	all := append(append([]string{}, n.Globals...), keywords...)
	sort.Strings(all)
	return word, withPrefix(all, word)
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// withPrefix lists the names that start with prefix.
func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, name := range names {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}

// openString is where the string the cursor is in starts, or -1 when it
// is in none.
func openString(s string) int {
	open := -1
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case open >= 0 && c == '\\':
			i++
		case open >= 0 && c == quote:
			open = -1
		case open < 0 && (c == '"' || c == '\''):
			open, quote = i, c
		case open < 0 && c == '-' && i+1 < len(s) && s[i+1] == '-':
			return -1 // a comment
		}
	}
	return open
}

// fileCandidates completes a path: the entries of its directory that
// start with its last part, directories with a slash.
func fileCandidates(path string) (string, []string) {
	dir, base := filepath.Split(path)
	entries, err := os.ReadDir(orDot(dir))
	if err != nil {
		return path, nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if e.IsDir() {
			name += "/"
		}
		out = append(out, dir+name)
	}
	sort.Strings(out)
	return path, out
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}
