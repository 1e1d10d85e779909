-- LuaSocket's module "socket": the core (socket.core) and, written in
-- Lua on top of it, the helpers LuaSocket's own Lua layer provides.
local core = require "socket.core"
local M = core

-- connect4/connect6: socket.connect limited to one family.
function M.connect4(address, port, laddress, lport)
  return core.connect(address, port, laddress, lport, "inet")
end

function M.connect6(address, port, laddress, lport)
  return core.connect(address, port, laddress, lport, "inet6")
end

-- bind(host, port [, backlog]): a listening TCP server on the first of
-- host's addresses that takes it, with SO_REUSEADDR set.
function M.bind(host, port, backlog)
  if host == "*" then host = "0.0.0.0" end
  local addrs, err = core.dns.getaddrinfo(host)
  if not addrs then return nil, err end
  err = "no info on address"
  for _, a in ipairs(addrs) do
    local s, e
    if a.family == "inet" then s, e = core.tcp4() else s, e = core.tcp6() end
    if not s then return nil, e end
    s:setoption("reuseaddr", true)
    local ok
    ok, err = s:bind(a.addr, port)
    if ok then
      ok, err = s:listen(backlog)
      if ok then return s end
    end
    s:close()
  end
  return nil, err
end

M.try = core.newtry()

-- choose(table): a function that calls table[name](opt1, opt2), name
-- defaulting to "default" when the first argument is not a string.
function M.choose(t)
  return function(name, opt1, opt2)
    if type(name) ~= "string" then
      name, opt1, opt2 = "default", name, opt1
    end
    local f = t[name or "nil"]
    if not f then error("unknown key (" .. tostring(name) .. ")", 3) end
    return f(opt1, opt2)
  end
end

-- Sources and sinks over sockets, for LTN12.
M.BLOCKSIZE = 2048
local sinkt, sourcet = {}, {}
M.sinkt, M.sourcet = sinkt, sourcet

local function selectable(sock, call)
  return setmetatable({
    getfd = function() return sock:getfd() end,
    dirty = function() return sock:dirty() end,
  }, {__call = call})
end

sinkt["close-when-done"] = function(sock)
  return selectable(sock, function(_, chunk)
    if chunk then return sock:send(chunk) end
    sock:close()
    return 1
  end)
end

sinkt["keep-open"] = function(sock)
  return selectable(sock, function(_, chunk)
    if chunk then return sock:send(chunk) end
    return 1
  end)
end

sinkt["default"] = sinkt["keep-open"]
M.sink = M.choose(sinkt)

sourcet["by-length"] = function(sock, length)
  return selectable(sock, function()
    if length <= 0 then return nil end
    local chunk, err = sock:receive(math.min(M.BLOCKSIZE, length))
    if err then return nil, err end
    length = length - #chunk
    return chunk
  end)
end

sourcet["until-closed"] = function(sock)
  local done = false
  return selectable(sock, function()
    if done then return nil end
    local chunk, err, partial = sock:receive(M.BLOCKSIZE)
    if not err then return chunk end
    if err == "closed" then
      sock:close()
      done = true
      return partial
    end
    return nil, err
  end)
end

sourcet["default"] = sourcet["until-closed"]
M.source = M.choose(sourcet)

return M
