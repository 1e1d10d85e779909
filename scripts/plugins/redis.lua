-- redis: a Redis client in Lua, speaking RESP2 over TCP.
--
--   local redis = require "redis"
--   local r = assert(redis.connect("127.0.0.1", 6379))
--   r:call("SET", "greeting", "hello")
--   print(r:call("GET", "greeting"))                  --> hello
--   local replies = r:pipeline{{"INCR", "n"}, {"INCR", "n"}, {"GET", "n"}}
--   r:close()
--
-- Replies become Lua values: a status ("OK") or bulk string a string, an
-- integer a number, an array a list, a missing value nil. An error reply
-- is nil and its message from call, and {error = message} in a pipeline.

local redis = {}
local Client = {}
Client.__index = Client

-- encode writes a command as a RESP array of bulk strings.
local function encode(args)
  local out = {"*" .. #args .. "\r\n"}
  for _, a in ipairs(args) do
    a = tostring(a)
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  return table.concat(out)
end

-- read reads one reply: its value, or nil and an error message; a
-- failure of the connection is raised as {failed = message}.
local function read(c)
  local line, err = c:receive("*l")
  if not line then error({failed = err}) end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then
    return rest
  elseif kind == "-" then
    return nil, rest
  elseif kind == ":" then
    return tonumber(rest)
  elseif kind == "$" then
    local n = tonumber(rest)
    if n < 0 then return nil end
    local data, derr = c:receive(n + 2)
    if not data then error({failed = derr}) end
    return data:sub(1, n)
  elseif kind == "*" then
    local n = tonumber(rest)
    if n < 0 then return nil end
    local list = {}
    for i = 1, n do
      local v, verr = read(c)
      if verr then v = {error = verr} end
      list[i] = v
    end
    return list
  end
  error({failed = "protocol error: unexpected reply " .. line})
end

-- connect opens a connection; see the describe below.
function redis.connect(host, port, timeout)
  local c, err = connect(host or "127.0.0.1", port or 6379, timeout or 5)
  if not c then return nil, err end
  c:setoption("nodelay", true)
  return setmetatable({conn = c}, Client)
end

-- replies reads n replies; a failed connection gives nil and its error.
local function replies(c, n)
  local list = {}
  local ok, failure = pcall(function()
    for i = 1, n do
      local v, err = read(c)
      if err then v = {error = err} end
      list[i] = v
    end
  end)
  if ok then return list end
  if type(failure) == "table" then return nil, failure.failed end
  error(failure, 0)
end

-- call sends one command and returns its reply, or nil and the error.
function Client:call(...)
  local sent, err = self.conn:send(encode({...}))
  if not sent then return nil, err end
  local list, rerr = replies(self.conn, 1)
  if not list then return nil, rerr end
  local reply = list[1]
  if type(reply) == "table" and reply.error ~= nil and #reply == 0 then return nil, reply.error end
  return reply
end

-- pipeline sends several commands at once, then reads all their replies.
function Client:pipeline(commands)
  local out = {}
  for i, cmd in ipairs(commands) do out[i] = encode(cmd) end
  local sent, err = self.conn:send(table.concat(out))
  if not sent then return nil, err end
  return replies(self.conn, #commands)
end

-- close closes the connection.
function Client:close()
  return self.conn:close()
end

describe{
  name = "redis.connect",
  signature = "redis.connect([host [, port [, timeout]]])",
  summary = "Connects to a Redis server (default 127.0.0.1:6379). The client has :call(cmd, ...) -> reply or nil, error; :pipeline{{cmd, ...}, ...} -> list of replies (an error reply as {error = message}); :close().",
  example = 'local r = redis.connect("127.0.0.1", 6379); r:call("SET", "k", "v"); print(r:call("GET", "k"))',
  fn = redis.connect,
}

return redis
