package luaapi

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// Permissions is what --safe grants, as Deno's permission flags do:
// nothing unless a flag allows it.
type Permissions struct {
	Read, Write []string // files and directories (--allow-read=PATH, --allow-write=PATH)
	AllRead     bool     // --allow-read with no path
	AllWrite    bool     // --allow-write with no path
	Net         []string // HOST, HOST:PORT, [V6]:PORT or :PORT (--allow-net=…)
	AllNet      bool     // --allow-net with no list
	Env         bool     // --allow-env
}

// sandbox enforces a session's Permissions.
type sandbox struct {
	perm        Permissions
	read, write []string // absolute and clean
	net         []netRule
}

// netRule is one --allow-net entry: host "" for any host, port 0 for any
// port.
type netRule struct {
	host string
	port int
}

// ParseNetRule reads an --allow-net entry: HOST, HOST:PORT, [V6]:PORT,
// :PORT or an IPv6 address alone.
func ParseNetRule(s string) (host string, port int, err error) {
	host, portText := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return "", 0, fmt.Errorf("%q: no closing ]", s)
		}
		host, portText = s[1:end], strings.TrimPrefix(s[end+1:], ":")
	case strings.Count(s, ":") == 1:
		host, portText, _ = strings.Cut(s, ":")
	}
	if portText != "" {
		p, perr := strconv.Atoi(portText)
		if perr != nil || p < 1 || p > 65535 {
			return "", 0, fmt.Errorf("%q: the port must be 1-65535", s)
		}
		port = p
	}
	return strings.ToLower(host), port, nil
}

func newSandbox(p Permissions) (*sandbox, error) {
	sb := &sandbox{perm: p}
	abs := func(list []string) ([]string, error) {
		var out []string
		for _, path := range list {
			a, err := filepath.Abs(path)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
	var err error
	if sb.read, err = abs(p.Read); err != nil {
		return nil, err
	}
	if sb.write, err = abs(p.Write); err != nil {
		return nil, err
	}
	for _, r := range p.Net {
		host, port, err := ParseNetRule(r)
		if err != nil {
			return nil, err
		}
		sb.net = append(sb.net, netRule{host, port})
	}
	return sb, nil
}

// errDenied is a refusal, naming the flag that would allow it.
type errDenied struct{ what, flag string }

func (e errDenied) Error() string {
	return fmt.Sprintf("%s is not allowed in --safe mode (%s allows it)", e.what, e.flag)
}

// Unwrap makes a refusal EACCES, the error number C Lua's io.open gives
// for a file it may not open.
func (e errDenied) Unwrap() error { return syscall.EACCES }

// ownProc tells a path in the process's own /proc directory (/proc/self,
// /proc/thread-self, /proc/PID): its environment, memory and descriptors,
// which a grant of /proc or of every file must not open. It returns the
// path with the directory as /proc/PID.
func ownProc(path string) (string, bool) {
	clean := filepath.Clean(absPath(path))
	rest, ok := strings.CutPrefix(clean, "/proc/")
	if !ok {
		return clean, false
	}
	dir, sub, _ := strings.Cut(rest, "/")
	pid := strconv.Itoa(os.Getpid())
	if dir != "self" && dir != "thread-self" && dir != pid {
		return clean, false
	}
	canon := "/proc/" + pid
	if sub != "" {
		canon += "/" + sub
	}
	return canon, true
}

// selfForm is a path of ownProc's as a flag names it for every run:
// /proc/self/…, not this run's /proc/PID/….
func selfForm(canon string) string {
	return "/proc/self" + strings.TrimPrefix(canon, "/proc/"+strconv.Itoa(os.Getpid()))
}

// ownProcGranted tells whether an --allow-read entry names path, in the
// process's own /proc directory, or a directory above it there.
func (sb *sandbox) ownProcGranted(path string) bool {
	for _, a := range sb.read {
		if entry, ok := ownProc(a); ok && (path == entry || strings.HasPrefix(path, entry+"/")) {
			return true
		}
	}
	return false
}

// escapes is the refusal of a path that an allowed directory holds by its
// name but that leads out of it, through a symbolic link or "..".
func escapes(op, path, root string) errDenied {
	target := "its target"
	if real, err := filepath.EvalSymlinks(absPath(path)); err == nil {
		target = real
	}
	flag := map[string]string{"reading": "--allow-read=", "writing": "--allow-write="}[op]
	return errDenied{fmt.Sprintf("%s %s, which leads out of %s,", op, path, root), flag + target}
}

// absPath makes path absolute without cleaning it: os.Root must see its
// ".." and symbolic links as they are.
func absPath(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	cwd, err := os.Getwd()
	if err != nil {
		return path
	}
	return cwd + string(filepath.Separator) + path
}

// within finds the allowed entry that holds path: the root to open it in
// and the name inside that root.
func within(allowed []string, path string) (root, rel string, ok bool) {
	abs := absPath(path)
	clean := filepath.Clean(abs)
	for _, a := range allowed {
		if clean == a && !strings.Contains(abs, "..") {
			// The entry itself (a file): its directory is the root.
			return filepath.Dir(a), filepath.Base(a), true
		}
		if strings.HasPrefix(abs, a+string(filepath.Separator)) {
			return a, abs[len(a)+1:], true
		}
	}
	return "", "", false
}

// openFile opens a file for the io library, only where a flag allows:
// through os.Root, so that no symbolic link or ".." leads out of an
// allowed directory.
func (sb *sandbox) openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	writes := flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0
	reads := flag&os.O_WRONLY == 0
	if canon, own := ownProc(path); own && !sb.ownProcGranted(canon) {
		// Its own grant only: /proc/self/environ is the environment,
		// which --allow-env grants; /proc/self/mem holds it too.
		return nil, errDenied{"opening " + path + " (the process's own /proc directory)", "--allow-read=" + selfForm(canon)}
	}
	if real, err := filepath.EvalSymlinks(absPath(path)); err == nil {
		if canon, own := ownProc(real); own && !sb.ownProcGranted(canon) {
			return nil, errDenied{"opening " + path + " (it leads to the process's own /proc directory)", "--allow-read=" + selfForm(canon)}
		}
	}
	if reads && !sb.perm.AllRead {
		if _, _, ok := within(sb.read, path); !ok {
			return nil, errDenied{"reading " + path, "--allow-read=" + filepath.Clean(absPath(path))}
		}
	}
	if writes && !sb.perm.AllWrite {
		if _, _, ok := within(sb.write, path); !ok {
			return nil, errDenied{"writing " + path, "--allow-write=" + filepath.Clean(absPath(path))}
		}
	}
	if (!reads || sb.perm.AllRead) && (!writes || sb.perm.AllWrite) {
		return os.OpenFile(path, flag, perm)
	}
	list := sb.read
	if writes {
		list = sb.write
	}
	root, rel, _ := within(list, path)
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(rel, flag, perm)
	if err != nil && strings.Contains(err.Error(), "escapes") {
		// A link out of the directory: allowed if where it leads is
		// (and opened there, through that entry's root).
		if real, rerr := filepath.EvalSymlinks(absPath(path)); rerr == nil && real != filepath.Clean(absPath(path)) {
			if _, _, ok := within(list, real); ok {
				return sb.openFile(real, flag, perm)
			}
		}
		op := "reading"
		if writes {
			op = "writing"
		}
		return nil, escapes(op, path, root)
	}
	return f, err
}

// readFile reads a whole file for loadfile, dofile, require and bg.
func (sb *sandbox) readFile(path string) ([]byte, error) {
	f, err := sb.openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// change removes or renames within what --allow-write grants.
func (sb *sandbox) change(op string, paths ...string) error {
	if sb.perm.AllWrite {
		if op == "remove" {
			return os.Remove(paths[0])
		}
		return os.Rename(paths[0], paths[1])
	}
	var root string
	var rels []string
	for _, p := range paths {
		r, rel, ok := within(sb.write, p)
		if !ok || root != "" && r != root {
			return errDenied{op + " of " + p, "--allow-write=" + filepath.Clean(absPath(p))}
		}
		root = r
		rels = append(rels, rel)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return err
	}
	defer r.Close()
	if op == "remove" {
		return r.Remove(rels[0])
	}
	return r.Rename(rels[0], rels[1])
}

// checkNet allows a network use of host and port (0 for any port) only if
// an --allow-net entry does; what says what for the message ("connecting
// to", "sending to", "binding").
func (sb *sandbox) checkNet(what, host string, port int) error {
	if sb == nil || sb.perm.AllNet {
		return nil
	}
	h := strings.ToLower(strings.Trim(host, "[]"))
	ha, haErr := netip.ParseAddr(h)
	for _, r := range sb.net {
		if r.port != 0 && r.port != port {
			continue
		}
		if r.host == "" || r.host == h {
			return nil
		}
		if ra, err := netip.ParseAddr(r.host); err == nil && haErr == nil && ra.Unmap() == ha.Unmap() {
			return nil
		}
	}
	target := host
	if strings.Contains(host, ":") {
		target = "[" + host + "]"
	}
	flag := fmt.Sprintf("--allow-net=%s:%d", target, port)
	if port == 0 { // any port the system picks: the host with every port
		flag = "--allow-net=" + target
	}
	return errDenied{fmt.Sprintf("%s %s:%d", what, target, port), flag}
}

// netDenied raises the refusal of a network use, when there is one.
func (s *Session) netDenied(L *lua.LState, what, host string, port int) {
	if err := s.sandbox.checkNet(what, host, port); err != nil {
		L.RaiseError("%s", err.Error())
	}
}

// openSafe takes away what untrusted code must not do — run programs, load
// native code, end the process, read the environment, inspect or change
// other code (the debug library but traceback) — and limits files and the
// network to what the permissions grant.
func (s *Session) openSafe(p Permissions) error {
	sb, err := newSandbox(p)
	if err != nil {
		return err
	}
	s.sandbox = sb
	L := s.main
	L.G.OpenFile = sb.openFile
	refuse := func(name, flag string) *lua.LFunction {
		return L.NewFunction(func(L *lua.LState) int {
			if flag == "" {
				L.RaiseError("%s is not allowed in --safe mode", name)
			}
			L.RaiseError("%s", errDenied{name, flag}.Error())
			return 0
		})
	}
	osl := L.GetGlobal("os").(*lua.LTable)
	iol := L.GetGlobal("io").(*lua.LTable)
	pkg := L.GetGlobal("package").(*lua.LTable)
	str := L.GetGlobal("string").(*lua.LTable)
	refuseExecute := refuse("os.execute", "")
	osl.RawSetString("execute", L.NewFunction(func(L *lua.LState) int {
		if L.Get(1) == lua.LNil { // is there a shell? Not for this script.
			L.Push(lua.LNumber(0))
			return 1
		}
		return refuseExecute.GFunction(L)
	}))
	osl.RawSetString("exit", refuse("os.exit", ""))
	iol.RawSetString("popen", refuse("io.popen", ""))
	pkg.RawSetString("loadlib", refuse("package.loadlib", ""))
	str.RawSetString("dump", refuse("string.dump", ""))
	if dbg, ok := L.GetGlobal("debug").(*lua.LTable); ok {
		only := L.NewTable()
		only.RawSetString("traceback", dbg.RawGetString("traceback"))
		L.SetGlobal("debug", only)
		if loaded, ok := pkg.RawGetString("loaded").(*lua.LTable); ok {
			loaded.RawSetString("debug", only)
		}
	}
	if !p.Env {
		osl.RawSetString("getenv", refuse("reading the environment", "--allow-env"))
		osl.RawSetString("setenv", refuse("changing the environment", "--allow-env"))
	}
	osl.RawSetString("remove", L.NewFunction(func(L *lua.LState) int {
		path := bind.Args{L: L, Fn: "remove"}.CheckString(1)
		if err := sb.change("remove", path); err != nil {
			return bind.Fail(L, err.Error())
		}
		L.Push(lua.LTrue)
		return 1
	}))
	osl.RawSetString("rename", L.NewFunction(func(L *lua.LState) int {
		a := bind.Args{L: L, Fn: "rename"}
		from, to := a.CheckString(1), a.CheckString(2)
		if err := sb.change("rename", from, to); err != nil {
			return bind.Fail(L, err.Error())
		}
		L.Push(lua.LTrue)
		return 1
	}))
	if _, _, ok := within(sb.write, os.TempDir()+string(filepath.Separator)+"x"); !ok && !p.AllWrite {
		osl.RawSetString("tmpname", refuse("making temporary files", "--allow-write="+os.TempDir()))
		iol.RawSetString("tmpfile", refuse("making temporary files", "--allow-write="+os.TempDir()))
	}
	return nil
}

// readScript reads a file Lua code asked for (loadfile, dofile, require,
// bg): through the sandbox in --safe mode.
func (s *Session) readScript(path string) ([]byte, error) {
	if s.sandbox != nil {
		return s.sandbox.readFile(path)
	}
	return os.ReadFile(path)
}

// readModule reads a module for require: in --safe mode a module in one
// of the plugin directories is read as the plugin path allows (its code
// runs in the sandbox as any other), and any other file only as
// --allow-read does, so that package.path cannot be bent to read files.
func (s *Session) readModule(path string) ([]byte, error) {
	if s.sandbox != nil {
		for _, d := range s.pluginDirs {
			if root, rel, ok := within([]string{absClean(d.Dir)}, path); ok {
				r, err := os.OpenRoot(root)
				if err != nil {
					return nil, err
				}
				defer r.Close()
				return r.ReadFile(rel)
			}
		}
	}
	return s.readScript(path)
}

// absClean is path made absolute and clean.
func absClean(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// openFile opens a file for Lua code: through the sandbox in --safe mode.
func (s *Session) openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	if s.sandbox != nil {
		return s.sandbox.openFile(path, flag, perm)
	}
	return os.OpenFile(path, flag, perm)
}

// fileError is C's wording of a failure to open path: "path: No such
// file or directory"; a refusal of the sandbox says itself.
func fileError(path string, err error) string {
	var d errDenied
	if errors.As(err, &d) {
		return path + ": " + err.Error()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return path + ": " + bind.Strerror(syscall.Errno(errno))
	}
	return err.Error()
}

// createFile makes a file Lua code asked for (trace files): where
// --allow-write grants in --safe mode.
func (s *Session) createFile(path string) (*os.File, error) {
	if s.sandbox != nil {
		return s.sandbox.openFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	}
	return os.Create(path)
}

// loadScriptChecked is LoadScript for Lua code (bg): a script file is read
// through the sandbox in --safe mode; a built-in one is always there.
func (s *Session) loadScriptChecked(name string) (*lua.LFunction, error) {
	if s.sandbox == nil {
		return s.LoadScript(name, nil)
	}
	if _, err := os.Stat(name); err != nil {
		return s.LoadScript(name, nil) // a built-in script, or the error
	}
	src, err := s.readScript(name)
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("cannot open %s: %v", name, err)}
	}
	return s.LoadSource(string(src), name)
}
