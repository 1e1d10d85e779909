package scripts

import (
	"fmt"
	"os"
	"testing"

	"github.com/sockshell/sockshell/internal/testenv"
)

// Pure-Lua libraries as Debian installs them for lua5.1 load with a plain
// require and work: dkjson, coxpcall, copas over LuaSocket, and redis-lua
// against a real redis-server. redis-lua is found before the built-in
// redis plugin, which stays reachable as "sockshell.redis".
func TestDebianLuaLibraries(t *testing.T) {
	for _, lib := range []struct{ file, pkg string }{
		{"/usr/share/lua/5.1/dkjson.lua", "lua-dkjson"},
		{"/usr/share/lua/5.1/coxpcall.lua", "lua-coxpcall"},
		{"/usr/share/lua/5.1/copas.lua", "lua-copas"},
		{"/usr/share/lua/5.1/redis.lua", "lua-redis"},
		{"/usr/share/lua/5.1/socket.lua", "lua-socket"},
	} {
		if _, err := os.Stat(lib.file); err != nil {
			testenv.Missing(t, lib.file+" is missing: apt-get install -y "+lib.pkg)
		}
	}
	port := freePort(t)
	startRedis(t, port)
	out := runLua(t, fmt.Sprintf(`
local json = require "dkjson"
local v = json.decode(json.encode({name = "sockshell", list = {1, 2, 3}, nested = {ok = true}}))
print(v.name, #v.list, v.nested.ok)

require "coxpcall"
print(copcall(function() error("caught", 0) end))

local copas = require "copas"
local socket = require "socket"
local server = assert(socket.bind("127.0.0.1", 0))
local _, sport = server:getsockname()
copas.addserver(server, function(c)
  c = copas.wrap(c)
  c:send("echo " .. c:receive("*l") .. "\n")
end)
local got
copas.addthread(function()
  local skt = socket.tcp()
  assert(copas.connect(skt, "127.0.0.1", sport))
  local c = copas.wrap(skt)
  c:send("hi\n")
  got = c:receive("*l")
  skt:close()
end)
for _ = 1, 200 do
  if got then break end
  copas.step(0.05)
end
print(got)

local redis = require "redis"
local builtin = require "sockshell.redis"
print(redis._VERSION:match("^redis%%-lua") ~= nil, builtin ~= redis and type(builtin.connect) == "function")
local r = redis.connect("127.0.0.1", %d)
print(r:ping(), r:set("k", "v"), r:get("k"), r:incrby("n", 41), r:incr("n"))
`, port))
	want := "sockshell\t3\ttrue\nfalse\tcaught\necho hi\ntrue\ttrue\ntrue\ttrue\tv\t41\t42\n"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
