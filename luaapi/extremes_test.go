package luaapi

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/procmem"
)

// goWords are what Go, not Lua, would say: a Go runtime failure, Go's
// spelling of numbers, a fmt verb gone wrong.
var goWords = regexp.MustCompile(`runtime error|\bNaN\b|[+-]Inf\b|invalid argument to|makeslice|interface conversion|index out of range \[|nil pointer|goroutine|strconv\.|strings: |%!|\(MISSING\)|internal error|overflow`)

// Every library function, Lua's and sockshell's, and every method of every
// kind of object, called with extreme values in each of its first three
// arguments: none ends the process or leaves the session unusable, and
// every error reads as Lua's would, with no Go words in it.
func TestExtremeArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	procmem.SetBudget(1 << 30)
	defer procmem.SetBudget(0)
	s, _ := newTestSession(t)
	// The objects whose methods are called, and the functions left out:
	// those that end the session, write files, or start programs.
	run(t, s, `probe_objects = {
  udp = listen(0, "127.0.0.1"),
  listener = listen{port = 0, host = "127.0.0.1", proto = "tcp"},
  task = spawn(function() end),
  lstcp = require("socket").tcp(),
  lsudp = require("socket").udp(),
}
probe_objects.stream = connect("127.0.0.1", select(2, probe_objects.listener:getsockname()))
probe_skip = {["os.exit"] = true, ["os.execute"] = true, ["io.popen"] = true, ["io.output"] = true,
  ["os.tmpname"] = true, ["trace.save"] = true, ["os.remove"] = true, ["os.rename"] = true,
  ["io.write"] = true, ["print"] = true, ["load"] = true, ["loadstring"] = true, ["dofile"] = true,
  ["require"] = true, ["bg"] = true, ["module"] = true, ["setfenv"] = true, ["setmetatable"] = true,
  ["rawset"] = true, ["package.loadlib"] = true, ["debug.setmetatable"] = true, ["debug.setfenv"] = true,
  ["debug.sethook"] = true, ["debug.setlocal"] = true, ["debug.setupvalue"] = true, ["debug.debug"] = true,
  ["collectgarbage"] = true, ["_printregs"] = true, ["trace"] = true, ["command"] = true, ["describe"] = true}
probe_values = {n = 20, nil, true, 0, -1, 0/0, 1/0, -1/0, 2^31, 2^53, 2^63, -2^63, 1e308, 0.5, "",
  "x", "-1", "1e400", string.rep("x", 300), {}, function() end}
function probe_list()
  local names = {}
  for k, v in pairs(_G) do
    if type(v) == "function" then names[#names+1] = k
    elseif type(v) == "table" and k ~= "_G" and k ~= "package" and not k:match("^probe") then
      for f, g in pairs(v) do
        if type(g) == "function" then names[#names+1] = k .. "." .. f end
      end
    end
  end
  for o, obj in pairs(probe_objects) do
    local mt = getmetatable(obj)
    local index = mt and mt.__index
    if type(index) == "table" then
      for f, g in pairs(index) do
        if type(g) == "function" and f ~= "close" and f ~= "cancel" and f ~= "setfd" then
          names[#names+1] = o .. ":" .. f
        end
      end
    end
  end
  return table.concat(names, " ")
end
function probe(name, pos, vi)
  if probe_skip[name] then return "skipped" end
  local fn, self
  local o, m = name:match("^(%w+):(.+)$")
  if o then
    self = probe_objects[o]
    fn = getmetatable(self).__index[m]
  else
    local lib, f = name:match("^(%w+)%.(.+)$")
    fn = lib and _G[lib][f] or _G[name]
  end
  local args = {n = 3}
  args[pos] = probe_values[vi]
  local ok, err
  if self then
    ok, err = pcall(fn, self, args[1], args[2], args[3])
  else
    ok, err = pcall(fn, args[1], args[2], args[3])
  end
  if ok then return "ok" end
  return tostring(err)
end`)
	names := strings.Fields(run(t, s, `return probe_list()`)[0].String())
	sort.Strings(names)
	if len(names) < 150 {
		t.Fatalf("only %d functions found", len(names))
	}
	probe := s.Global("probe").(*lua.LFunction)
	calls := 0
	for _, name := range names {
		for pos := 1; pos <= 3; pos++ {
			for vi := 1; vi <= 20; vi++ {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				res, err := s.CallContext(ctx, probe, lua.LString(name), lua.LNumber(pos), lua.LNumber(vi))
				cancel()
				calls++
				msg := ""
				switch {
				case err != nil:
					msg = err.Error()
				case len(res) > 0:
					msg = res[0].String()
				}
				if goWords.MatchString(msg) {
					t.Errorf("%s with value %d as argument %d: %s", name, vi, pos, msg)
				}
			}
		}
		// The session is usable after each.
		if got := run(t, s, `return 6 * 7`)[0].String(); got != "42" {
			t.Fatalf("after %s: %s", name, got)
		}
	}
	t.Logf("%d functions, %d calls", len(names), calls)
}
