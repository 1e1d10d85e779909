// Package bind is the seam between sockshell's session and the libraries
// it offers to Lua: how a Go function checks its arguments and words a
// failure, the Doc every function carries for help() and the reference, the
// view of a socket object that the session's registry and trace keep, and
// Host, what a library may ask of the session it runs in. A library package
// (luaapi/lib/...) imports bind and never luaapi.
package bind

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Args checks the arguments of one Lua call of the function named Fn. It
// names the function itself because gopher-lua cannot always (a function
// called through pcall is "(anonymous)" there). For a method, Base is 1: the
// receiver is argument 1 on the stack, but users count from the first
// argument after the colon, as Lua's own messages do.
type Args struct {
	L    *lua.LState
	Fn   string
	Base int
}

// Raise raises "bad argument #n to 'fn' (msg)", n being the stack index,
// at the position of the Lua code that made the call.
func (a Args) Raise(n int, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if n-a.Base == 0 {
		msg = fmt.Sprintf("calling '%s' on bad self (%s)", a.Fn, msg)
	} else {
		msg = fmt.Sprintf("bad argument #%d to '%s' (%s)", n-a.Base, a.Fn, msg)
	}
	a.L.Error(lua.LString(Where(a.L)+msg), 0)
}

// Where is "file:line: " of the Lua code that called the running Go
// function: the nearest Lua frame, looking through the coroutines that
// resumed this one. It is "" when there is none.
func Where(L *lua.LState) string {
	for th := L; th != nil; th = th.Parent {
		for level := 0; level < 64; level++ {
			dbg, ok := th.GetStack(level)
			if !ok {
				break
			}
			if _, err := th.GetInfo("Sl", dbg, lua.LNil); err != nil {
				break
			}
			if dbg.What != "G" && dbg.CurrentLine > 0 && dbg.Source != YieldChunk {
				return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
			}
		}
		if th.G.MainThread == th {
			break
		}
	}
	return ""
}

// Describe names a Lua value for an error message: its type, and the value
// itself when it is short enough to help.
func Describe(v lua.LValue) string {
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

// ToNumber converts v as Lua arithmetic does: numbers and numeric strings.
func ToNumber(v lua.LValue) (float64, bool) {
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

// IntIn checks that v is an integer in [lo, hi]; what names it ("port").
func (a Args) IntIn(n int, v lua.LValue, what string, lo, hi int) int {
	if f, ok := v.(lua.LNumber); ok && f >= lua.LNumber(lo) && f <= lua.LNumber(hi) && f == lua.LNumber(int(f)) {
		return int(f) // the usual case, in one step
	}
	f, ok := ToNumber(v)
	if !ok {
		a.Raise(n, "%s must be a number, got %s", what, Describe(v))
	}
	if f != math.Trunc(f) {
		a.Raise(n, "%s must be a whole number %d-%d, got %s", what, lo, hi, lua.LNumber(f))
	}
	if f < float64(lo) || f > float64(hi) {
		a.Raise(n, "%s must be %d-%d, got %s", what, lo, hi, lua.LNumber(f))
	}
	return int(f)
}

// Str checks that v is a string (or a number, which Lua converts).
func (a Args) Str(n int, v lua.LValue, what string) string {
	if num, ok := v.(lua.LNumber); ok {
		return num.String()
	}
	return a.Name(n, v, what)
}

// Name checks that v is a string; a number is refused, as no host or
// option is a number.
func (a Args) Name(n int, v lua.LValue, what string) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	a.Raise(n, "%s must be a string, got %s", what, Describe(v))
	return ""
}

// Seconds checks an optional timeout in Seconds: nil gives ok=false.
func (a Args) Seconds(n int, v lua.LValue, what string) (float64, bool) {
	if IsNil(v) {
		return 0, false
	}
	f, ok := ToNumber(v)
	if !ok || f < 0 || math.IsNaN(f) {
		a.Raise(n, "%s must be seconds >= 0 or nil, got %s", what, Describe(v))
	}
	return f, true
}

// Options reads a table of named Options, refusing names it does not know so
// that a typo is reported rather than ignored.
func (a Args) Options(n int, t *lua.LTable, known ...string) map[string]lua.LValue {
	out := map[string]lua.LValue{}
	t.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok || !contains(known, string(name)) {
			a.Raise(n, "unknown option '%s' (options: %s)", lua.LVAsString(k), strings.Join(known, ", "))
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

// IsNil reports whether v is nil: a type check, cheaper than comparing
// interfaces (v == lua.LNil) on a hot path.
func IsNil(v lua.LValue) bool {
	_, ok := v.(*lua.LNilType)
	return ok
}

// CheckUserdata returns argument n as the value of a userdata of type T
// (a socket kind, a task), or raises "WHAT expected, got …", naming what
// was there as describe does.
func CheckUserdata[T any](a Args, n int, what string, describe func(lua.LValue) string) T {
	if ud, ok := a.L.Get(n).(*lua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	a.Raise(n, "%s expected, got %s", what, describe(a.L.Get(n)))
	var zero T
	return zero
}

// Int is luaL_checkint: a number (or numeric string) truncated to an
// integer; one that has no integer value raises.
func (a Args) Int(n int) int64 {
	f, ok := ToNumber(a.L.Get(n))
	if !ok {
		a.Raise(n, "number expected, got %s", a.TypeAt(n))
	}
	if f != f || f >= 1<<63 || f < -(1<<63) {
		a.Raise(n, "number has no integer representation")
	}
	return int64(f)
}

// OptInt is luaL_optint.
func (a Args) OptInt(n int, def int64) int64 {
	if a.L.Get(n) == lua.LNil {
		return def
	}
	return a.Int(n)
}

// CheckString is luaL_checkstring: strings and numbers.
func (a Args) CheckString(n int) string {
	v := a.L.Get(n)
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	a.Raise(n, "string expected, got %s", a.TypeAt(n))
	return ""
}

// OptString is luaL_optstring.
func (a Args) OptString(n int, def string) (string, bool) {
	if a.L.Get(n) == lua.LNil {
		return def, false
	}
	return a.CheckString(n), true
}

// CheckNumber is luaL_checknumber: numbers and numeric strings.
func (a Args) CheckNumber(n int) float64 {
	v := a.L.Get(n)
	if f, ok := ToNumber(v); ok {
		return f
	}
	a.Raise(n, "number expected, got %s", a.TypeAt(n))
	return 0
}

// OptNumber is luaL_optnumber.
func (a Args) OptNumber(n int, def float64) float64 {
	if a.L.Get(n) == lua.LNil {
		return def
	}
	return a.CheckNumber(n)
}

// CheckOption is luaL_checkoption.
func (a Args) CheckOption(n int, def string, names ...string) int {
	name := def
	if a.L.Get(n) != lua.LNil || def == "" {
		name = a.CheckString(n)
	}
	for i, x := range names {
		if x == name {
			return i
		}
	}
	a.Raise(n, "invalid option '%s'", name)
	return 0
}

// TypeAt is the type of argument n as Lua's messages name it: "no
// value" past the last argument.
func (a Args) TypeAt(n int) string {
	if n > a.L.GetTop() {
		return "no value"
	}
	return a.L.Get(n).Type().String()
}

// ToString is tostring(v) for print and format's %s: a failing
// __tostring raises its error, and one that returns no string says so, as
// Lua's print does.
func ToString(L *lua.LState, v lua.LValue, fn string) string {
	mt := L.GetMetaField(v, "__tostring")
	if mt == lua.LNil {
		return v.String()
	}
	L.Push(mt)
	L.Push(v)
	L.Call(1, 1)
	r := L.Get(-1)
	L.Pop(1)
	switch r := r.(type) {
	case lua.LString:
		return string(r)
	case lua.LNumber:
		return r.String()
	}
	L.RaiseError("'__tostring' must return a string to '%s'", fn)
	return ""
}
