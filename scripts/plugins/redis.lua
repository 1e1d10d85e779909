-- redis: a Redis client in Lua, speaking RESP2 over TCP.
--
--   local redis = require "redis"      -- or "sockshell.redis", when Debian's
--                                      -- redis-lua is installed too
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

-- The bounds a reply must keep: Redis's own for a bulk string (512 MB),
-- and a depth of nested arrays no server sends.
local maxBulk, maxDepth = 512 * 1024 * 1024, 100

-- protocol raises the failure of a reply that is not RESP2.
local function protocol(what, line)
  if #line > 60 then line = line:sub(1, 60) .. "..." end
  error({failed = ("protocol error: %s in reply %q"):format(what, line)})
end

-- integer is the whole number a reply line carries after its type.
local function integer(rest, line)
  if not rest:match("^%-?%d+$") then protocol("not a whole number", line) end
  return tonumber(rest)
end

-- read reads one reply: its value, or nil and an error message; a
-- failure of the connection, or a reply that is not RESP2, is raised as
-- {failed = message}.
local function read(c, depth)
  local line, err = c:receive("*l")
  if not line then error({failed = err}) end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then
    return rest
  elseif kind == "-" then
    return nil, rest
  elseif kind == ":" then
    return integer(rest, line)
  elseif kind == "$" then
    local n = integer(rest, line)
    if n < 0 then return nil end
    if n > maxBulk then protocol("a bulk string over 512 MB", line) end
    local data, derr = c:receive(n + 2)
    if not data then error({failed = derr}) end
    return data:sub(1, n)
  elseif kind == "*" then
    local n = integer(rest, line)
    if n < 0 then return nil end
    depth = (depth or 0) + 1
    if depth > maxDepth then protocol("arrays nested deeper than " .. maxDepth, line) end
    local list = {}
    for i = 1, n do
      local v, verr = read(c, depth)
      if verr then v = {error = verr} end
      list[i] = v
    end
    return list
  end
  protocol("unexpected reply type", line)
end

-- open connects c to its server, with its timeout on every call.
local function open(c)
  local conn, err = connect(c.host, c.port, c.timeout)
  if not conn then return nil, err end
  conn:setoption("nodelay", true)
  conn:settimeout(c.timeout)
  c.conn = conn
  return c
end

-- connect opens a connection; see the describe below.
function redis.connect(host, port, timeout)
  local c = setmetatable({host = host or "127.0.0.1", port = port or 6379, timeout = timeout or 5}, Client)
  return open(c)
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

-- failed ends a connection that failed mid-conversation (what is left of
-- a reply on it cannot be trusted): the next call connects again.
local function failed(c, err)
  if c.conn then c.conn:close() end
  c.conn = nil
  if err == "timeout" then
    err = ("timeout: no reply from %s:%d within %gs"):format(c.host, c.port, c.timeout)
  end
  return nil, err
end

-- exchange sends a request and reads n replies, connecting again first if
-- the connection had failed.
local function exchange(c, request, n)
  if not c.conn then
    if c.closed then return nil, "closed" end
    local ok, err = open(c)
    if not ok then return nil, err end
  end
  local sent, err = c.conn:send(request)
  if not sent then return failed(c, err) end
  local ok, list, rerr = pcall(replies, c.conn, n)
  if not ok then
    -- A reply cut short by an error (not enough memory): what is left of
    -- it on the connection cannot be trusted.
    failed(c)
    error(list, 0)
  end
  if not list then return failed(c, rerr) end
  return list
end

-- call sends one command and returns its reply, or nil and the error.
function Client:call(...)
  local list, err = exchange(self, encode({...}), 1)
  if not list then return nil, err end
  local reply = list[1]
  if type(reply) == "table" and reply.error ~= nil and #reply == 0 then return nil, reply.error end
  return reply
end

-- pipeline sends several commands at once, then reads all their replies.
function Client:pipeline(commands)
  local out = {}
  for i, cmd in ipairs(commands) do out[i] = encode(cmd) end
  return exchange(self, table.concat(out), #commands)
end

-- close closes the connection for good.
function Client:close()
  self.closed = true
  if self.conn then self.conn:close() end
  self.conn = nil
  return true
end

describe{
  name = "redis.connect",
  signature = "redis.connect([host [, port [, timeout]]])",
  summary = "Connects to a Redis server (default 127.0.0.1:6379). The client has :call(cmd, ...) -> reply or nil, error; :pipeline{{cmd, ...}, ...} -> list of replies (an error reply as {error = message}); :close(). timeout (default 5 seconds) bounds the connect and every call: a server that stops answering gives nil, \"timeout: …\", one that is gone nil, \"closed\"; after either the next call connects again.",
  example = 'local r = redis.connect("127.0.0.1", 6379); r:call("SET", "k", "v"); print(r:call("GET", "k"))',
  fn = redis.connect,
}

-- parse reads one RESP value from text at pos: the value (an error reply
-- as {error = message}) and the position after it; nil when it is not
-- RESP or is cut short.
local function parse(text, pos, depth)
  if depth > 8 then return nil end
  local kind, line, after = text:match("^([+%-:$*])([^\r\n]*)\r\n()", pos)
  if not kind then return nil end
  if kind == "+" then return line, after end
  if kind == "-" then return {error = line}, after end
  local n = tonumber(line)
  if not n then return nil end
  if kind == ":" then return n, after end
  if kind == "$" then
    if n < 0 then return false, after end
    if #text < after + n + 1 then return nil end
    return text:sub(after, after + n - 1), after + n + 2
  end
  if n < 0 then return false, after end
  local list = {}
  for i = 1, n do
    list[i], after = parse(text, after, depth + 1)
    if after == nil then return nil end
  end
  return list, after
end

local function show(v)
  if type(v) == "string" then return ("%q"):format(v):gsub("\\\n", "\\n") end
  if type(v) == "table" and v.error then return "error " .. v.error end
  if type(v) == "table" then
    local parts = {}
    for i = 1, math.min(#v, 8) do parts[i] = show(v[i]) end
    return "[" .. table.concat(parts, " ") .. (#v > 8 and " …" or "") .. "]"
  end
  if v == false then return "nil" end
  return tostring(v)
end

-- What trace shows for Redis traffic: a command as its words
-- ("SET greeting \"hello\""), a reply as its value.
dissector{
  name = "redis", port = 6379, proto = "tcp",
  decode = function(data, info)
    local values, pos = {}, 1
    while pos <= #data and #values < 64 do
      local v
      v, pos = parse(data, pos, 0)
      if pos == nil then return nil end
      values[#values + 1] = v
    end
    local parts = {}
    for i, v in ipairs(values) do
      if info.dport == 6379 and type(v) == "table" and not v.error then
        local words = {}
        for j, w in ipairs(v) do words[j] = j == 1 and tostring(w) or show(w) end
        parts[i] = table.concat(words, " ")
      else
        parts[i] = show(v)
      end
    end
    return {values = values, summary = table.concat(parts, "; ")}
  end,
}

return redis
