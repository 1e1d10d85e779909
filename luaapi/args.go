package luaapi

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// args checks the arguments of one Lua call of the function named fn. It
// names the function itself because gopher-lua cannot always (a function
// called through pcall is "(anonymous)" there). For a method, base is 1: the
// receiver is argument 1 on the stack, but users count from the first
// argument after the colon, as Lua's own messages do.
type args struct {
	L    *lua.LState
	fn   string
	base int
}

// raise raises "bad argument #n to 'fn' (msg)", n being the stack index,
// at the position of the Lua code that made the call.
func (a args) raise(n int, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if n-a.base == 0 {
		msg = fmt.Sprintf("calling '%s' on bad self (%s)", a.fn, msg)
	} else {
		msg = fmt.Sprintf("bad argument #%d to '%s' (%s)", n-a.base, a.fn, msg)
	}
	a.L.Error(lua.LString(where(a.L)+msg), 0)
}

// where is "file:line: " of the Lua code that called the running Go
// function: the nearest Lua frame, looking through the coroutines that
// resumed this one. It is "" when there is none.
func where(L *lua.LState) string {
	for th := L; th != nil; th = th.Parent {
		for level := 0; level < 64; level++ {
			dbg, ok := th.GetStack(level)
			if !ok {
				break
			}
			if _, err := th.GetInfo("Sl", dbg, lua.LNil); err != nil {
				break
			}
			if dbg.What != "G" && dbg.CurrentLine > 0 && dbg.Source != yieldChunk {
				return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
			}
		}
		if th.G.MainThread == th {
			break
		}
	}
	return ""
}

// describe names a Lua value for an error message: its type, and the value
// itself when it is short enough to help.
func describe(v lua.LValue) string {
	switch v := v.(type) {
	case nil:
		return "no value"
	case lua.LString:
		s := string(v)
		if len(s) > 20 {
			s = s[:20] + "..."
		}
		return fmt.Sprintf("string %q", s)
	case lua.LNumber, lua.LBool:
		return fmt.Sprintf("%s %s", v.Type(), v)
	}
	return v.Type().String()
}

// toNumber converts v as Lua arithmetic does: numbers and numeric strings.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(i), true
		}
	}
	return 0, false
}

// intIn checks that v is an integer in [lo, hi]; what names it ("port").
func (a args) intIn(n int, v lua.LValue, what string, lo, hi int) int {
	if f, ok := v.(lua.LNumber); ok && f >= lua.LNumber(lo) && f <= lua.LNumber(hi) && f == lua.LNumber(int(f)) {
		return int(f) // the usual case, in one step
	}
	f, ok := toNumber(v)
	if !ok {
		a.raise(n, "%s must be a number, got %s", what, describe(v))
	}
	if f != math.Trunc(f) {
		a.raise(n, "%s must be a whole number %d-%d, got %s", what, lo, hi, lua.LNumber(f))
	}
	if f < float64(lo) || f > float64(hi) {
		a.raise(n, "%s must be %d-%d, got %s", what, lo, hi, lua.LNumber(f))
	}
	return int(f)
}

// str checks that v is a string (or a number, which Lua converts).
func (a args) str(n int, v lua.LValue, what string) string {
	if num, ok := v.(lua.LNumber); ok {
		return num.String()
	}
	return a.name(n, v, what)
}

// name checks that v is a string; a number is refused, as no host or
// option is a number.
func (a args) name(n int, v lua.LValue, what string) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	a.raise(n, "%s must be a string, got %s", what, describe(v))
	return ""
}

// seconds checks an optional timeout in seconds: nil gives ok=false.
func (a args) seconds(n int, v lua.LValue, what string) (float64, bool) {
	if isNil(v) {
		return 0, false
	}
	f, ok := toNumber(v)
	if !ok || f < 0 || math.IsNaN(f) {
		a.raise(n, "%s must be seconds >= 0 or nil, got %s", what, describe(v))
	}
	return f, true
}

// options reads a table of named options, refusing names it does not know so
// that a typo is reported rather than ignored.
func (a args) options(n int, t *lua.LTable, known ...string) map[string]lua.LValue {
	out := map[string]lua.LValue{}
	t.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok || !contains(known, string(name)) {
			a.raise(n, "unknown option '%s' (options: %s)", lua.LVAsString(k), strings.Join(known, ", "))
		}
		out[string(name)] = v
	})
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isNil reports whether v is nil: a type check, cheaper than comparing
// interfaces (v == lua.LNil) on a hot path.
func isNil(v lua.LValue) bool {
	_, ok := v.(*lua.LNilType)
	return ok
}

// checkUserdata returns argument n as the value of a userdata of type T
// (a socket kind, a task), or raises "WHAT expected, got …", naming what
// was there as describe does.
func checkUserdata[T any](a args, n int, what string, describe func(lua.LValue) string) T {
	if ud, ok := a.L.Get(n).(*lua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	a.raise(n, "%s expected, got %s", what, describe(a.L.Get(n)))
	var zero T
	return zero
}
