package luaapi

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/lib/lua51"
	lua "github.com/yuin/gopher-lua"
)

// PluginDir is a directory that require searches for plugins, with where
// it comes from.
type PluginDir struct {
	Dir  string
	From string // "SOCKSHELL_PATH", "config" or "./plugins"
}

// DefaultPluginDirs is the plugin path, in the order require searches it:
// the directories in $SOCKSHELL_PATH (colon-separated), then
// $XDG_CONFIG_HOME/sockshell/plugins (default ~/.config/sockshell/plugins),
// then ./plugins when it exists. The plugins built into sockshell come
// after all of them.
func DefaultPluginDirs() []PluginDir {
	var dirs []PluginDir
	for _, d := range filepath.SplitList(os.Getenv("SOCKSHELL_PATH")) {
		if d != "" {
			dirs = append(dirs, PluginDir{d, "SOCKSHELL_PATH"})
		}
	}
	config := os.Getenv("XDG_CONFIG_HOME")
	if config == "" {
		if home, err := os.UserHomeDir(); err == nil {
			config = filepath.Join(home, ".config")
		}
	}
	if config != "" {
		dirs = append(dirs, PluginDir{filepath.Join(config, "sockshell", "plugins"), "config"})
	}
	if st, err := os.Stat("plugins"); err == nil && st.IsDir() {
		dirs = append(dirs, PluginDir{"plugins", "./plugins"})
	}
	return dirs
}

// pluginPath is package.path for dirs: NAME.lua and NAME/init.lua in each.
func pluginPath(dirs []PluginDir) string {
	var parts []string
	for _, d := range dirs {
		parts = append(parts, filepath.Join(d.Dir, "?.lua"), filepath.Join(d.Dir, "?", "init.lua"))
	}
	return strings.Join(parts, ";")
}

// command is a shell command a plugin added.
type command struct {
	help string
	run  *lua.LFunction
}

var pluginFuncs = []libFunc{
	{&bind.Doc{
		Name:    "plugins",
		Forms:   []string{"plugins()"},
		Summary: "Lists the plugins `require` can load and where each comes from, in the order they are searched: `$SOCKSHELL_PATH`, `~/.config/sockshell/plugins`, `./plugins`, then those built in (after where lua5.1 looks: a module installed for Lua comes before a built-in plugin of its name, which `require \"sockshell.NAME\"` still loads).",
		Returns: "a list of `{name=, path=, from=}`, which prints (and shows at the prompt) as a table of them. A plugin hidden by one of the same name earlier in the order is not listed; a built-in plugin whose name a module installed for Lua takes is listed as `sockshell.NAME`, after that module (from `lua path`).",
		Errors:  "None.",
		Example: `for _, p in ipairs(plugins()) do
  if p.name == "hexview" then print(p.from) end  --> builtin
end`,
	}, (*Session).lPlugins},
	{&bind.Doc{
		Name:    "reload",
		Forms:   []string{"reload(name)"},
		Summary: "Reads a plugin again from where `require` finds it and runs it. When the plugin is a table, the loaded table itself becomes the new version, so every variable that holds it sees the change. Sockets opened by earlier code stay open.",
		Args:    []bind.Arg{{Name: "name", Meaning: "the plugin's module name"}},
		Returns: "the new module.",
		Errors:  "`nil, \"file:line: message\"` when the plugin cannot be found, compiled or run; the previous version then stays in place.",
		Example: `local path = os.tmpname() .. ".lua"
local f = io.open(path, "w") f:write("return {version = 1}") f:close()
package.path = path:gsub("[^/]*%.lua$", "?.lua") .. ";" .. package.path
local name = path:match("([^/]*)%.lua$")
print(require(name).version)  --> 1
f = io.open(path, "w") f:write("return {version = 2}") f:close()
print(reload(name).version)   --> 2
os.remove(path)`,
	}, (*Session).lReload},
	{&bind.Doc{
		Name:    "command",
		Forms:   []string{"command{name=, help=, run=}"},
		Summary: "Adds a shell command: `:name arg1 arg2` at the prompt calls `run{\"arg1\", \"arg2\"}`. `:help` lists the commands.",
		Args: []bind.Arg{
			{Name: "name", Meaning: "the command's name: letters, digits, `-` and `_`"},
			{Name: "help", Meaning: "one line for `:help`"},
			{Name: "run", Meaning: "the function; it gets the words after the name as a list"},
		},
		Returns: "nothing.",
		Errors:  "A missing name or run, or a bad name, raises.",
		Example: `command{name = "hello", help = "hello NAME: greet", run = function(args) print("hello " .. (args[1] or "you")) end}
print("type :hello world at the prompt")`,
	}, (*Session).lCommand},
	{&bind.Doc{
		Name:    "describe",
		Forms:   []string{"describe{name=, signature=, summary=, example=}"},
		Summary: "Documents a plugin's function for `help()`, as sockshell's own are.",
		Args: []bind.Arg{
			{Name: "name", Meaning: "what `help` finds it by, e.g. `\"dns.query\"`"},
			{Name: "signature", Meaning: "how to call it"},
			{Name: "summary", Meaning: "one sentence"},
			{Name: "example", Meaning: "optional: code that shows it"},
			{Name: "fn", Meaning: "optional: the function, so that `help(fn)` finds it too"},
		},
		Returns: "nothing.",
		Errors:  "A missing name, signature or summary raises.",
		Example: `describe{name = "greet", signature = "greet(who)", summary = "Says hello."}
help("greet")`,
	}, (*Session).lDescribe},
}

// openPlugins sets the plugin path and require's searchers: the plugin
// directories and Lua's own path through package.path, then the built-in
// plugins.
func (s *Session) openPlugins(dirs []PluginDir, builtin fs.FS) {
	L := s.main
	s.pluginDirs = dirs
	s.builtin = builtin
	s.commands = map[string]*command{}
	s.pluginDocs = map[string]*bind.Doc{}
	pkg := L.GetGlobal("package").(*lua.LTable)
	// The plugin directories, then where lua5.1 looks; the built-in
	// plugins come after them all, so that a module installed for Lua
	// (Debian's redis-lua, say) is not hidden by a plugin of its name.
	path := lua51.Path()
	if plugins := pluginPath(dirs); plugins != "" {
		path = plugins + ";" + path
	}
	pkg.RawSetString("path", lua.LString(path))
	loaders := pkg.RawGetString("loaders").(*lua.LTable)
	loaders.RawSetInt(3, L.NewFunction(s.loadBuiltinModule))
	for loaders.Len() > 3 {
		loaders.Remove(4)
	}
}

// builtinSource reads a built-in file, if there is one.
func (s *Session) builtinSource(name string) (string, bool) {
	if s.builtin == nil {
		return "", false
	}
	b, err := fs.ReadFile(s.builtin, name)
	return string(b), err == nil
}

// BuiltinScript returns a script built into sockshell by its name
// ("receiver" or "receiver.lua"), for running bundled scripts by name.
func (s *Session) BuiltinScript(name string) (src string, ok bool) {
	if strings.ContainsAny(name, "/\\") {
		return "", false
	}
	if !strings.HasSuffix(name, ".lua") {
		name += ".lua"
	}
	return s.builtinSource(name)
}

// LoadScript compiles the script called name: the file of that name, or
// when there is none, a script built into sockshell ("receiver"), as the
// command line and bg() find them. "-" reads stdin.
func (s *Session) LoadScript(name string, stdin io.Reader) (*lua.LFunction, error) {
	if name != "-" {
		if _, err := os.Stat(name); err != nil {
			if src, ok := s.BuiltinScript(name); ok {
				return s.LoadSource(src, strings.TrimSuffix(name, ".lua")+".lua")
			}
		}
	}
	return s.LoadFile(name, stdin)
}

// LoadSource compiles src as a chunk named name, skipping a first line
// that starts with #, as LoadFile does.
func (s *Session) LoadSource(src, name string) (*lua.LFunction, error) {
	if strings.HasPrefix(src, "#") {
		src = "--" + src
	}
	return s.Compile(src, name)
}

// loadBuiltinModule is require's searcher for the built-in plugins.
func (s *Session) loadBuiltinModule(L *lua.LState) int {
	// "sockshell.redis" is always the built-in plugin, whatever a module
	// installed for Lua under the plain name.
	name := strings.TrimPrefix(L.CheckString(1), "sockshell.")
	src, ok := s.builtinSource(path.Join("plugins", strings.ReplaceAll(name, ".", "/")+".lua"))
	if !ok {
		L.Push(lua.LString("\n\tno built-in plugin '" + name + "'"))
		return 1
	}
	fn, err := s.Compile(src, "builtin:"+name+".lua")
	if err != nil {
		L.RaiseError("error loading module '%s' (built in):\n\t%v", name, err)
	}
	L.Push(fn)
	return 1
}

// commandDecl finds the commands a plugin adds at its top level.
var commandDecl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^command\s*\{\s*name\s*=\s*"([A-Za-z0-9_-]+)"`)
})

// commandHelpDecl finds a command's name and help line in a plugin's
// source.
var commandHelpDecl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^command\s*\{\s*name\s*=\s*"([A-Za-z0-9_-]+)",\s*help\s*=\s*"([^"\n]*)"`)
})

// builtinCommandHelp maps the built-in plugins' commands to their help
// line, read from their sources before the plugins are loaded.
func (s *Session) builtinCommandHelp() map[string]string {
	out := map[string]string{}
	s.eachBuiltinPlugin(func(_, src string) {
		for _, m := range commandHelpDecl().FindAllStringSubmatch(src, -1) {
			out[m[1]] = m[2]
		}
	})
	return out
}

// eachBuiltinPlugin calls f with each built-in plugin's name and source.
func (s *Session) eachBuiltinPlugin(f func(name, src string)) {
	if s.builtin == nil {
		return
	}
	entries, _ := fs.ReadDir(s.builtin, "plugins")
	for _, e := range entries {
		if src, ok := s.builtinSource("plugins/" + e.Name()); ok {
			f(strings.TrimSuffix(e.Name(), ".lua"), src)
		}
	}
}

// builtinCommands maps the shell commands the built-in plugins add to the
// plugin that adds each, read from their sources.
func (s *Session) builtinCommands() map[string]string {
	out := map[string]string{}
	s.eachBuiltinPlugin(func(plugin, src string) {
		for _, m := range commandDecl().FindAllStringSubmatch(src, -1) {
			out[m[1]] = plugin
		}
	})
	return out
}

// pluginInfo is one available plugin.
type pluginInfo struct{ name, path, from string }

// available lists the plugins in search order, first of each name only.
func (s *Session) available() []pluginInfo {
	seen := map[string]bool{}
	var out []pluginInfo
	add := func(p pluginInfo) {
		if !seen[p.name] {
			seen[p.name] = true
			out = append(out, p)
		}
	}
	for _, d := range s.pluginDirs {
		entries, _ := os.ReadDir(d.Dir)
		for _, e := range entries {
			switch {
			case !e.IsDir() && strings.HasSuffix(e.Name(), ".lua"):
				add(pluginInfo{strings.TrimSuffix(e.Name(), ".lua"), filepath.Join(d.Dir, e.Name()), d.From})
			case e.IsDir():
				if _, err := os.Stat(filepath.Join(d.Dir, e.Name(), "init.lua")); err == nil {
					add(pluginInfo{e.Name(), filepath.Join(d.Dir, e.Name(), "init.lua"), d.From})
				}
			}
		}
	}
	if s.builtin != nil {
		entries, _ := fs.ReadDir(s.builtin, "plugins")
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".lua") {
				continue
			}
			name := strings.TrimSuffix(e.Name(), ".lua")
			// A module installed for Lua under the plugin's name is what
			// require loads; the plugin is then sockshell.NAME.
			if file, ok := onLuaPath(name); ok && !seen[name] {
				add(pluginInfo{name, file, "lua path"})
				add(pluginInfo{"sockshell." + name, "builtin:" + e.Name(), "builtin"})
				continue
			}
			add(pluginInfo{name, "builtin:" + e.Name(), "builtin"})
		}
	}
	return out
}

// onLuaPath finds the file of module name where lua5.1 would (luaPath).
func onLuaPath(name string) (string, bool) {
	file := strings.ReplaceAll(name, ".", string(os.PathSeparator))
	for _, pattern := range strings.Split(lua51.Path(), ";") {
		if pattern == "" {
			continue
		}
		candidate := strings.ReplaceAll(pattern, "?", file)
		if st, err := os.Stat(candidate); err == nil && !st.IsDir() {
			return candidate, true
		}
	}
	return "", false
}

func (s *Session) lPlugins(L *lua.LState) int {
	list := L.NewTable()
	var b strings.Builder
	for _, p := range s.available() {
		t := L.NewTable()
		t.RawSetString("name", lua.LString(p.name))
		t.RawSetString("path", lua.LString(p.path))
		t.RawSetString("from", lua.LString(p.from))
		list.Append(t)
		fmt.Fprintf(&b, "%-16s %-15s %s\n", p.name, p.from, p.path)
	}
	if b.Len() == 0 {
		b.WriteString("no plugins\n")
	}
	L.Push(listing(L, list, b.String()))
	return 1
}

// findModule finds a module's source as require would.
func (s *Session) findModule(L *lua.LState, name string) (src, chunk string, err error) {
	if p, ok := L.GetField(L.GetGlobal("package"), "path").(lua.LString); ok {
		file := strings.ReplaceAll(name, ".", string(os.PathSeparator))
		for _, pattern := range strings.Split(string(p), ";") {
			candidate := strings.ReplaceAll(pattern, "?", file)
			if b, err := s.readScript(candidate); err == nil {
				return string(b), candidate, nil
			}
		}
	}
	if src, ok := s.builtinSource(path.Join("plugins", strings.ReplaceAll(name, ".", "/")+".lua")); ok {
		return src, "builtin:" + name + ".lua", nil
	}
	return "", "", fmt.Errorf("plugin '%s' not found (plugins() lists them)", name)
}

func (s *Session) lReload(L *lua.LState) int {
	name := bind.Args{L: L, Fn: "reload"}.Name(1, L.Get(1), "name")
	src, chunk, err := s.findModule(L, name)
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	fn, err := s.Compile(src, chunk)
	if err != nil {
		return bind.Fail(L, err.Error())
	}
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, lua.LString(name)); err != nil {
		msg := err.Error()
		if ae, ok := err.(*lua.ApiError); ok {
			msg = ae.Object.String()
		}
		return bind.Fail(L, msg)
	}
	mod := L.Get(-1)
	L.Pop(1)
	if mod == lua.LNil {
		mod = lua.LTrue
	}
	loaded := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable)
	old := loaded.RawGetString(name)
	oldT, wasTable := old.(*lua.LTable)
	newT, isTable := mod.(*lua.LTable)
	if wasTable && isTable {
		// The old table becomes the new version, so that every variable
		// that holds the module (tp = require "timeproto") sees it.
		var keys []lua.LValue
		oldT.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		for _, k := range keys {
			oldT.RawSet(k, lua.LNil)
		}
		newT.ForEach(func(k, v lua.LValue) { oldT.RawSet(k, v) })
		L.SetMetatable(oldT, L.GetMetatable(newT))
		mod = oldT
	}
	loaded.RawSetString(name, mod)
	if old != lua.LNil && L.GetGlobal(name) == old {
		L.SetGlobal(name, mod)
	}
	L.Push(mod)
	return 1
}

func validCommandName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (s *Session) lCommand(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "command"}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		a.Raise(1, "table expected, got %s", bind.Describe(L.Get(1)))
	}
	o := a.Options(1, t, "name", "help", "run")
	name, _ := o["name"].(lua.LString)
	if !validCommandName(string(name)) {
		a.Raise(1, "name must be letters, digits, '-' or '_', got %s", bind.Describe(o["name"]))
	}
	run, ok := o["run"].(*lua.LFunction)
	if !ok {
		a.Raise(1, "run must be a function, got %s", bind.Describe(o["run"]))
	}
	help := ""
	if h, ok := o["help"]; ok {
		help = a.Name(1, h, "help")
	}
	s.commands[string(name)] = &command{help: help, run: run}
	return 0
}

func (s *Session) lDescribe(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "describe"}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		a.Raise(1, "table expected, got %s", bind.Describe(L.Get(1)))
	}
	o := a.Options(1, t, "name", "signature", "summary", "example", "fn")
	get := func(key string, required bool) string {
		v, ok := o[key]
		if !ok {
			if required {
				a.Raise(1, "%s is missing", key)
			}
			return ""
		}
		return a.Name(1, v, key)
	}
	d := &bind.Doc{Name: get("name", true), Forms: []string{get("signature", true)},
		Summary: get("summary", true), Example: get("example", false)}
	s.pluginDocs[d.Name] = d
	if fn, ok := o["fn"].(*lua.LFunction); ok {
		s.docsByFn[fn] = d
	}
	return 0
}

// PluginDocs lists the docs plugins gave with describe, by name.
func (s *Session) PluginDocs() []*bind.Doc {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	out := make([]*bind.Doc, 0, len(s.pluginDocs))
	for _, d := range s.pluginDocs {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *bind.Doc) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Commands lists the shell commands plugins added, with their help.
func (s *Session) Commands() map[string]string {
	s.sched.enter(s.main, nil)
	defer s.sched.leave()
	out := map[string]string{}
	for name, c := range s.commands {
		out[name] = c.help
	}
	return out
}

// RunCommand runs a shell command line without its colon ("dig
// example.test"): a plugin's command, or the built-in help, plugins and
// reload. Errors are as Call's.
func (s *Session) RunCommand(line string) error {
	words := strings.Fields(line)
	if len(words) == 0 {
		words = []string{"help"}
	}
	name, rest := words[0], words[1:]
	switch name {
	case "sockets":
		return s.DoString("print(sockets())", "=:sockets")
	case "tasks":
		return s.DoString("print(tasks())", "=:tasks")
	case "help":
		s.sched.enter(s.main, nil)
		defer s.sched.leave()
		var b strings.Builder
		b.WriteString(":help                 this list; help() lists the Lua functions\n:history [N]          the chunks typed so far, numbered (history())\n:plugins              the plugins require can load\n:reload NAME          read plugin NAME again\n:save[!] FILE [3-7 9] write the chunks that ran, or those numbered, as a script (save())\n:sockets              the open sockets and their traffic\n:tasks                the tasks that have not ended\n")
		names := make([]string, 0, len(s.commands))
		for n := range s.commands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, ":%-20s %s\n", n, s.commands[n].help)
		}
		var later []string
		helps := s.builtinCommandHelp()
		for n, plugin := range s.builtinCommands() {
			if s.commands[n] == nil {
				later = append(later, fmt.Sprintf(":%-20s %s (loads the %s plugin)\n", n, helps[n], plugin))
			}
		}
		sort.Strings(later)
		b.WriteString(strings.Join(later, ""))
		s.page(b.String())
		return nil
	case "plugins":
		return s.DoString("print(plugins())", "=:plugins")
	case "history":
		if len(rest) > 1 {
			return &Error{Message: "usage: :history [N]"}
		}
		fn, err := s.Compile("history(tonumber((...)) or (...))", "=:history")
		if err != nil {
			return err
		}
		arg := lua.LValue(lua.LNil)
		if len(rest) == 1 {
			arg = lua.LString(rest[0])
		}
		_, err = s.Call(fn, arg)
		return err
	case "save", "save!":
		if len(rest) == 0 {
			return &Error{Message: "usage: :save[!] FILE [RANGES], e.g. :save probe.lua 3-7 9"}
		}
		// The file name and ranges are arguments, not code.
		fn, err := s.Compile(`local path, ranges, force = ...
local n, which = save(path, ranges, {force = force})
if not n then print(which) return end
print(("saved %d chunk%s (%s) to %s; run it with: sockshell %s"):format(n, n == 1 and "" or "s", which, path, path))`, "=:save")
		if err != nil {
			return err
		}
		ranges := lua.LValue(lua.LNil)
		if len(rest) > 1 {
			ranges = lua.LString(strings.Join(rest[1:], " "))
		}
		_, err = s.Call(fn, lua.LString(rest[0]), ranges, lua.LBool(name == "save!"))
		return err
	case "reload":
		if len(rest) != 1 {
			return &Error{Message: "usage: :reload NAME"}
		}
		// The name is an argument, not code: any name (quotes, backslashes)
		// is passed as it is.
		fn, err := s.Compile("local name = ... local m, err = reload(name) if not m then print(err) else print('reloaded ' .. name) end", "=:reload")
		if err != nil {
			return err
		}
		_, err = s.Call(fn, lua.LString(rest[0]))
		return err
	}
	s.sched.enter(s.main, nil)
	c, ok := s.commands[name]
	s.sched.leave()
	if !ok {
		// A built-in plugin's command loads its plugin on first use.
		if plugin := s.builtinCommands()[name]; plugin != "" {
			if err := s.DoString(fmt.Sprintf("%s = require(%q)", plugin, plugin), "=:"+name); err != nil {
				return err
			}
			s.sched.enter(s.main, nil)
			c, ok = s.commands[name]
			s.sched.leave()
		}
	}
	if !ok {
		return &Error{Message: fmt.Sprintf("unknown command ':%s' (:help lists them)", name)}
	}
	argv := s.main.NewTable()
	for _, w := range rest {
		argv.Append(lua.LString(w))
	}
	_, err := s.Call(c.run, argv)
	return err
}

// missingGlobal is the hint an error gets for a global that is nil (see
// culprit.Explainer.Missing): a module that require loads (LuaSocket's
// socket, a plugin) is used as a global before it is required, or a help
// topic (tcp, udp) is taken for a library.
func (s *Session) missingGlobal(name string) string {
	if s.isModule(name) {
		return fmt.Sprintf("it is a module: %s = require %q", name, name)
	}
	if _, ok := topics[name]; ok {
		return fmt.Sprintf("help %q shows what there is", name)
	}
	return ""
}

// isModule tells whether require(name) finds a module sockshell provides
// or a plugin: in package.preload, a plugin directory or the plugins
// built in. Lua's own path is not searched: a name found there is no
// sign of what the code meant.
func (s *Session) isModule(name string) bool {
	if pkg, ok := s.main.G.Global.RawGetString("package").(*lua.LTable); ok {
		if pre, ok := pkg.RawGetString("preload").(*lua.LTable); ok && pre.RawGetString(name) != lua.LNil {
			return true
		}
	}
	return s.pluginNames()[name]
}

// pluginNames are the names of the plugins require finds (available),
// read again when a second has passed: an error inside pcall, in a loop,
// asks for them each time (isModule).
func (s *Session) pluginNames() map[string]bool {
	s.pluginNamesMu.Lock()
	defer s.pluginNamesMu.Unlock()
	if s.pluginNamesList != nil && time.Since(s.pluginNamesAt) < time.Second {
		return s.pluginNamesList
	}
	names := map[string]bool{}
	for _, p := range s.available() {
		names[p.name] = true
	}
	s.pluginNamesList, s.pluginNamesAt = names, time.Now()
	return names
}
