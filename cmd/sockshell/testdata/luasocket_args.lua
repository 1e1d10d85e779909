-- LuaSocket's functions and methods called with bad arguments: each line
-- is a case and the error it raised. Run by lua5.1 (with Debian's
-- lua-socket) and by sockshell, whose lines must be the same.
local socket = require "socket"
local mime = require "mime.core"

local master = socket.tcp()
local server = assert(socket.bind("127.0.0.1", 0))
local udp = socket.udp()
local connected = socket.udp()
assert(connected:setpeername("127.0.0.1", 9))

local cases = {
  {"receive on a master", function() return master:receive() end},
  {"send on a master", function() return master:send("x") end},
  {"accept on a master", function() return master:accept() end},
  {"getstats on a master", function() return master:getstats() end},
  {"shutdown on a master", function() return master:shutdown() end},
  {"listen on a server", function() return server:listen() end},
  {"bind on a server", function() return server:bind("127.0.0.1", 0) end},
  {"bind without an address", function() return master:bind() end},
  {"bind without a port", function() return master:bind("127.0.0.1") end},
  {"bind with a table", function() return master:bind({}, 1) end},
  {"connect without a port", function() return master:connect("127.0.0.1") end},
  {"settimeout with a bad mode", function() return master:settimeout(1, "x") end},
  {"settimeout with a string", function() return master:settimeout("x") end},
  {"setoption unknown", function() return master:setoption("bogus", true) end},
  {"setoption without a name", function() return master:setoption() end},
  {"setoption without a value", function() return master:setoption("keepalive") end},
  {"setoption a number for a boolean", function() return master:setoption("keepalive", 1) end},
  {"setoption linger not a table", function() return master:setoption("linger", true) end},
  {"setoption linger without on", function() return master:setoption("linger", {timeout = 1}) end},
  {"setoption linger without timeout", function() return master:setoption("linger", {on = true}) end},
  {"getoption unknown", function() return master:getoption("bogus") end},
  {"getoption without a name", function() return master:getoption() end},
  {"setfd without a descriptor", function() return master:setfd() end},
  {"listen with a bad backlog", function() return master:listen("x") end},
  {"sendto without an address", function() return udp:sendto("x") end},
  {"sendto without a port", function() return udp:sendto("x", "127.0.0.1") end},
  {"sendto a table", function() return udp:sendto({}, "127.0.0.1", 9) end},
  {"sendto on a connected socket", function() return connected:sendto("x", "127.0.0.1", 9) end},
  {"send on an unconnected socket", function() return udp:send("x") end},
  {"send without data", function() return connected:send() end},
  {"receive with a table", function() return udp:receive({}) end},
  {"receivefrom with a string", function() return udp:receivefrom("x") end},
  {"receivefrom on a connected socket", function() return connected:receivefrom() end},
  {"setsockname without a port", function() return udp:setsockname("127.0.0.1") end},
  {"setsockname on a connected socket", function() return connected:setsockname("127.0.0.1", 0) end},
  {"setpeername without a port", function() return udp:setpeername("127.0.0.1") end},
  {"setpeername without an address", function() return udp:setpeername() end},
  {"getpeername on an unconnected socket", function() return udp:getpeername() end},
  {"udp setoption a TCP option", function() return udp:setoption("tcp-nodelay", true) end},
  {"membership not a table", function() return udp:setoption("ip-add-membership", "x") end},
  {"membership without multiaddr", function() return udp:setoption("ip-add-membership", {interface = "*"}) end},
  {"membership bad multiaddr", function() return udp:setoption("ip-add-membership", {multiaddr = "x", interface = "*"}) end},
  {"membership without interface", function() return udp:setoption("ip-add-membership", {multiaddr = "224.0.0.1"}) end},
  {"multicast ttl not a number", function() return udp:setoption("ip-multicast-ttl", "x") end},
  {"multicast if not an address", function() return udp:setoption("ip-multicast-if", "x") end},
  {"udp settimeout with a bad mode", function() return udp:settimeout(1, "z") end},
  {"select a string", function() return socket.select("x") end},
  {"select a number", function() return socket.select(nil, 1) end},
  {"select a bad timeout", function() return socket.select(nil, nil, "x") end},
  {"connect without an address", function() return socket.connect() end},
  {"connect without a port", function() return socket.connect("127.0.0.1") end},
  {"connect a bad family", function() return socket.connect("127.0.0.1", 1, nil, nil, "bogus") end},
  {"sleep without a number", function() return socket.sleep() end},
  {"sleep a string", function() return socket.sleep("x") end},
  {"skip without a number", function() return socket.skip() end},
  {"protect without a function", function() return socket.protect() end},
  {"toip without an address", function() return socket.dns.toip() end},
  {"tohostname a table", function() return socket.dns.tohostname({}) end},
  {"getaddrinfo without a host", function() return socket.dns.getaddrinfo() end},
  {"getnameinfo without anything", function() return socket.dns.getnameinfo() end},
  {"b64 a table", function() return mime.b64({}) end},
  {"unb64 a table", function() return mime.unb64({}) end},
  {"qp a table", function() return mime.qp({}) end},
  {"wrp without a number", function() return mime.wrp() end},
  {"qpwrp a string", function() return mime.qpwrp("x") end},
  {"eol without a context", function() return mime.eol() end},
  {"dot a string", function() return mime.dot("x") end},
}

for _, c in ipairs(cases) do
  local ok, err = pcall(c[2])
  print(c[1] .. ": " .. (ok and "no error" or tostring(err)))
end
