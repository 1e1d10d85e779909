package luaapi

import (
	"sort"

	lua "github.com/yuin/gopher-lua"
)

// Names is a snapshot of the names Lua code can reach from the prompt, for
// completion: taken between chunks, so that the line editor never touches
// the Lua state.
type Names struct {
	Globals  []string            // every global variable, sorted
	Fields   map[string][]string // a global table's fields: "string" -> format, rep, …
	Methods  map[string][]string // what "name:" completes to for a global's value
	Commands []string            // the shell's commands, without the colon
}

// Names takes a snapshot of the session's names.
func (s *Session) Names() *Names {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	return s.names()
}

// NamesIfIdle is Names when no task keeps the session busy; the shell's
// prompt must not wait for one (Ctrl-C at the prompt stops it).
func (s *Session) NamesIfIdle() (*Names, bool) {
	if !s.sched.baton.TryLock() {
		return nil, false
	}
	s.sched.entered(s.main, nil)
	defer s.sched.leave()
	return s.names(), true
}

// names is Names, with the baton held.
func (s *Session) names() *Names {
	n := &Names{Fields: map[string][]string{}, Methods: map[string][]string{}}
	L := s.main
	L.G.Global.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok || !isName(string(name)) {
			return
		}
		n.Globals = append(n.Globals, string(name))
		if t, ok := v.(*lua.LTable); ok {
			if fields := stringKeys(t); len(fields) > 0 {
				n.Fields[string(name)] = fields
			}
		}
		if methods := s.methodsOf(L, v); len(methods) > 0 {
			n.Methods[string(name)] = methods
		}
	})
	sort.Strings(n.Globals)
	n.Commands = []string{"help", "history", "plugins", "reload", "save", "sockets", "tasks"}
	for c := range s.commands {
		n.Commands = append(n.Commands, c)
	}
	for c := range s.builtinCommands() {
		if s.commands[c] == nil {
			n.Commands = append(n.Commands, c)
		}
	}
	sort.Strings(n.Commands)
	return n
}

// methodsOf lists what v:name can call: the functions of its metatable's
// __index table (sockets, and any object with a class), a task's methods,
// a string's library, or a table's own functions.
func (s *Session) methodsOf(L *lua.LState, v lua.LValue) []string {
	switch v := v.(type) {
	case lua.LString:
		if t, ok := L.GetGlobal("string").(*lua.LTable); ok {
			return stringKeys(t)
		}
	case *lua.LUserData:
		if _, ok := v.Value.(*task); ok {
			var names []string
			for _, f := range taskMethods {
				names = append(names, f.doc.Name[len("task:"):])
			}
			sort.Strings(names)
			return names
		}
	}
	var out []string
	if mt, ok := L.GetMetatable(v).(*lua.LTable); ok {
		if idx, ok := mt.RawGetString("__index").(*lua.LTable); ok {
			out = append(out, functionKeys(idx)...)
		}
	}
	if t, ok := v.(*lua.LTable); ok {
		out = append(out, functionKeys(t)...)
	}
	sort.Strings(out)
	return out
}

// stringKeys lists t's keys that are names, sorted.
func stringKeys(t *lua.LTable) []string {
	var out []string
	t.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); ok && isName(string(s)) {
			out = append(out, string(s))
		}
	})
	sort.Strings(out)
	return out
}

// functionKeys lists t's keys that are names of functions.
func functionKeys(t *lua.LTable) []string {
	var out []string
	t.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && isName(string(s)) && v.Type() == lua.LTFunction {
			out = append(out, string(s))
		}
	})
	return out
}
