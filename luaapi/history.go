package luaapi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
)

// Entry is one chunk typed at the prompt, as the shell records it.
type Entry struct {
	// Source is what was typed, the lines of a chunk joined by newlines.
	Source string
	// Kind says what it was: Code (statements), Expression (its values
	// printed), Command (":dig …") or Help ("?name").
	Kind EntryKind
	// Status is how it ended: Ran, Failed, Interrupted or Invalid (it did
	// not compile).
	Status EntryStatus
}

// EntryKind says what a chunk typed at the prompt was.
type EntryKind int

// The kinds of chunk.
const (
	Code EntryKind = iota
	Expression
	Command
	Help
)

// EntryStatus says how a chunk typed at the prompt ended.
type EntryStatus int

// How a chunk ended.
const (
	Ran EntryStatus = iota
	Failed
	Interrupted
	Invalid
)

var statusWords = [...]string{"ran", "failed", "interrupted", "syntax error"}

// Record adds a chunk typed at the prompt to the session's history, which
// history() lists and save() writes as a script. It returns the chunk's
// number, from 1.
func (s *Session) Record(e Entry) int {
	// Not the baton: the prompt records while a task may keep the
	// session busy.
	s.historyMu.Lock()
	defer s.historyMu.Unlock()
	e.Source = strings.TrimRight(e.Source, "\n")
	s.history = append(s.history, e)
	return len(s.history)
}

// entries is a copy of the history.
func (s *Session) entries() []Entry {
	s.historyMu.Lock()
	defer s.historyMu.Unlock()
	return append([]Entry(nil), s.history...)
}

var historyFuncs = []libFunc{
	{&bind.Doc{
		Name:    "history",
		Forms:   []string{"history([n])", ":history [n]"},
		Summary: "Lists the chunks typed at the prompt in this session, numbered, each marked with how it ended: nothing when it ran, `!` when it failed, `^C` when it was interrupted, `?` when it did not compile. Commands (`:dig …`) and help (`?name`) are listed too, and are not code.",
		Args:    []bind.Arg{{Name: "n", Meaning: "how many of the last chunks to list (default all)"}},
		Returns: "nothing; it prints. `save` takes the numbers it shows.",
		Errors:  "A bad `n` raises.",
		Example: `history()     -- in a script, where nothing was typed: "no chunks typed yet"`,
	}, (*Session).lHistory},
	{&bind.Doc{
		Name:  "save",
		Forms: []string{"save(path [, ranges] [, {force = true}])", ":save[!] path [ranges]"},
		Summary: "Writes chunks typed at the prompt as a script that repeats the experiment: `sockshell path` runs it. Without ranges it writes every chunk that ran, leaving out those that failed, help, and calls of `history` and `save`; with ranges (`\"3-7 9\"`, as `history` numbers them, or numbers) it writes those, in that order. " +
			"An expression typed bare is written as `show(expr)`, so the script prints what the prompt showed; a command is written as a comment. The script starts with a comment saying where it came from.",
		Args: []bind.Arg{
			{Name: "path", Meaning: "the file to write; an existing one is replaced only with `{force = true}` (`:save!`)"},
			{Name: "ranges", Meaning: "which chunks: a string of numbers and ranges (`\"2-5 8\"`), or a number"},
		},
		Returns: "the number of chunks written, and their numbers as a string (`\"1-4 6\"`).",
		Errors:  "A bad range or a number not in the history raises. An existing file, or one that cannot be written, returns `nil, message`.",
		Example: `local n, msg = save(os.tmpname())  -- in a script there is nothing to save
print(n, msg)  --> nil  nothing to save: no chunk typed at the prompt ran`,
	}, (*Session).lSave},
}

func (s *Session) lHistory(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "history"}
	history := s.entries()
	first := 0
	if L.Get(1) != lua.LNil {
		n := a.IntIn(1, L.Get(1), "n", 0, 1<<30)
		first = max(len(history)-n, 0)
	}
	var b strings.Builder
	if len(history) == 0 {
		b.WriteString("no chunks typed yet\n")
	}
	for i := first; i < len(history); i++ {
		b.WriteString(historyLine(i+1, history[i]))
	}
	s.stdout.Write([]byte(b.String()))
	return 0
}

// historyLine is entry n as history lists it: its number, its mark, and
// its lines, the later ones indented under the first.
func historyLine(n int, e Entry) string {
	mark := map[EntryStatus]string{Ran: "  ", Failed: "! ", Interrupted: "^C", Invalid: "? "}[e.Status]
	head := fmt.Sprintf("%4d%s ", n, mark)
	return head + strings.ReplaceAll(e.Source, "\n", "\n"+strings.Repeat(" ", len(head))) + "\n"
}

// rangeWord is one item of save's ranges: "7" or "3-7".
var rangeWord = regexp.MustCompile(`^(\d+)(?:-(\d+))?$`)

// parseRanges reads "3-7 9" (commas allowed too) into chunk numbers, each
// in 1..n; a bad one raises through a.
func parseRanges(a bind.Args, arg int, text string, n int) []int {
	var out []int
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		m := rangeWord.FindStringSubmatch(w)
		if m == nil {
			a.Raise(arg, "bad range '%s' (ranges look like \"3-7 9\")", w)
		}
		lo, _ := strconv.Atoi(m[1])
		hi := lo
		if m[2] != "" {
			hi, _ = strconv.Atoi(m[2])
		}
		if lo > hi {
			a.Raise(arg, "bad range '%s': %d is after %d", w, lo, hi)
		}
		if lo < 1 || hi > n {
			if n == 0 {
				a.Raise(arg, "no chunk %s: nothing was typed at the prompt yet", w)
			}
			a.Raise(arg, "no chunk %s: history has 1-%d", w, n)
		}
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		a.Raise(arg, "no chunks named in %q", text)
	}
	return out
}

// historyCall matches chunks that only look at or save the history, which
// a script repeating the experiment leaves out.
var historyCall = regexp.MustCompile(`^\s*(?::(?:history|save)(?:!|\s|$)|(?:history|save)\s*\()`)

func (s *Session) lSave(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "save"}
	history := s.entries()
	path := a.Name(1, L.Get(1), "path")
	force := false
	var picked []int
	for i := 2; i <= min(L.GetTop(), 3); i++ {
		switch v := L.Get(i).(type) {
		case *lua.LTable:
			opts := a.Options(i, v, "force")
			force = lua.LVAsBool(opts["force"])
		case lua.LString:
			picked = append(picked, parseRanges(a, i, string(v), len(history))...)
		case lua.LNumber:
			picked = append(picked, parseRanges(a, i, v.String(), len(history))...)
		case *lua.LNilType:
		default:
			a.Raise(i, "ranges (a string or number) or {force = true} expected, got %s", bind.Describe(v))
		}
	}
	if picked == nil {
		for i, e := range history {
			if e.Status == Ran && e.Kind != Help && !historyCall.MatchString(e.Source) {
				picked = append(picked, i+1)
			}
		}
		if len(picked) == 0 {
			return bind.Fail(L, "nothing to save: no chunk typed at the prompt ran")
		}
	}
	text := script(history, path, picked)
	if err := s.writeScript(path, []byte(text), force); err != nil {
		return bind.Fail(L, err.Error())
	}
	L.Push(lua.LNumber(len(picked)))
	L.Push(lua.LString(rangesText(picked)))
	return 2
}

// script is the Lua script of the chunks of history numbered picked.
func script(history []Entry, path string, picked []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s: chunks %s typed at the sockshell prompt on %s.\n-- Run it again with: sockshell %s\n\n",
		path, rangesText(picked), time.Now().Format("2006-01-02 15:04"), path)
	for _, n := range picked {
		e := history[n-1]
		switch e.Kind {
		case Expression:
			expr := strings.TrimPrefix(e.Source, "=")
			if strings.Contains(expr, "--") {
				expr += "\n" // a comment must not swallow the parenthesis
			}
			fmt.Fprintf(&b, "show(%s)\n", expr)
		case Command:
			fmt.Fprintf(&b, "-- %s\n", e.Source)
		case Help:
			fmt.Fprintf(&b, "-- %s (help)\n", e.Source)
		default:
			b.WriteString(e.Source + "\n")
		}
	}
	return b.String()
}

// rangesText writes chunk numbers as history's ranges: "1-4 6".
func rangesText(nums []int) string {
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", nums[i], nums[j]))
		} else {
			parts = append(parts, strconv.Itoa(nums[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, " ")
}

// writeScript writes data to path, a new file unless force; in --safe
// mode where --allow-write grants.
func (s *Session) writeScript(path string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	var f *os.File
	var err error
	if s.sandbox != nil {
		f, err = s.sandbox.openFile(path, flags, 0o666)
	} else {
		f, err = os.OpenFile(path, flags, 0o666)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: save(%q, {force = true}) or :save! replaces it", path, path)
	}
	if err != nil {
		return errors.New(fileError(path, err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return errors.New(fileError(path, err))
	}
	if err := f.Close(); err != nil {
		return errors.New(fileError(path, err))
	}
	return nil
}
