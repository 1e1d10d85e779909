-- The Lua half of the capture library: capture.script, which writes a
-- capture's conversations as a script that says again what their client
-- said and checks the answers, and replay, which sends a capture's client
-- traffic again. Both stand on capture.conversations and the session's
-- own socket functions, which the loader passes in; it returns both, and
-- loads this on their first call (a Go function calls each, so an error
-- about an argument is raised at level 4: the caller of that function).
local capture, connect, listen, sleep, now, spawn = ...

-- lit is s as a Lua string literal that reads well: text as it is,
-- control and other bytes escaped.
local function lit(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    local named = {["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\"}
    return named[c] or ("\\%03d"):format(c:byte())
  end) .. '"'
end

-- splitAddress reads "host:port" or "[v6]:port".
local function splitAddress(s)
  local host, port = s:match("^%[(.-)%]:(%d+)$")
  if not host then host, port = s:match("^(.-):(%d+)$") end
  return host, tonumber(port)
end

local function badArg(n, fn, msg)
  error(("bad argument #%d to '%s' (%s)"):format(n, fn, msg), 4)
end

local function checkOptions(n, fn, opts, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then badArg(n, fn, "options table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if not known[k] then
      local names = {}
      for name in pairs(known) do names[#names + 1] = name end
      table.sort(names)
      badArg(n, fn, ("unknown option '%s' (options: %s)"):format(tostring(k), table.concat(names, ", ")))
    end
  end
  if opts.to ~= nil and (type(opts.to) ~= "string" or not splitAddress(opts.to)) then
    badArg(n, fn, "to must be \"host:port\", got " .. tostring(opts.to))
  end
  return opts
end

-- A script's prelude: the target, the timeout and the check of answers.
local prelude = [[
local target = arg and arg[1]    -- "host:port": the server to talk to instead
local timeout = %s                 -- seconds to wait for each answer
local differ = 0

local function address(host, port)
  if not target then return host, port end
  local h, p = target:match("^%%[(.-)%%]:(%%d+)$")
  if not h then h, p = target:match("^(.-):(%%d+)$") end
  return h, tonumber(p)
end

-- lit shows bytes as a Lua string literal.
local function lit(s)
  return '"' .. s:gsub('[%%c"\\\128-\255]', function(c)
    local named = {["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\"}
    return named[c] or ("\\%%03d"):format(c:byte())
  end) .. '"'
end

-- check compares an answer with the capture's.
local function check(what, got, want, err)
  if got == want then
    print(what .. ": as captured (" .. #want .. " bytes)")
    return
  end
  differ = differ + 1
  print(what .. ": differs from the capture" .. (err and (" (" .. err .. ")") or ""))
  print("  captured: " .. lit(want))
  print("  got:      " .. lit(got or ""))
end
]]

local function script(path, filter, opts)
  if type(path) ~= "string" then badArg(1, "capture.script", "path must be a string, got " .. type(path)) end
  opts = checkOptions(3, "capture.script", opts, {to = true, timeout = true})
  local timeout = opts.timeout or 5
  if type(timeout) ~= "number" or timeout < 0 then badArg(3, "capture.script", "timeout must be seconds >= 0") end
  local convs, err = capture.conversations(path, filter)
  if not convs then return nil, err end
  if #convs == 0 then
    return nil, path .. ": no UDP or TCP conversation" .. (filter and (" matches " .. tostring(filter)) or "")
  end
  local out = {}
  local function add(fmt, ...) out[#out + 1] = fmt:format(...) end
  add("-- Made by capture.script from %s%s: says what the client said, and\n", path,
    type(filter) == "string" and (" (" .. filter .. ")") or "")
  add("-- checks that the server answers as in the capture.\n")
  add("-- Run it: sockshell SCRIPT [host:port]   (exit status 1 when an answer differs)\n")
  add(prelude, tostring(timeout))
  for i, c in ipairs(convs) do
    local host, port = splitAddress(opts.to or c.server)
    local sends, answers = 0, 0
    for _, t in ipairs(c.turns) do
      if t.from == "client" then sends = sends + 1 else answers = answers + 1 end
    end
    add("\n-- Conversation %d: %s %s -> %s, %d sent, %d answers\ndo\n", i, c.proto, c.client, c.server, sends, answers)
    add("  local host, port = address(%s, %d)\n", lit(host), port)
    if c.proto == "tcp" then
      add("  local c = assert(connect(host, port, timeout))\n  c:settimeout(timeout)\n")
    else
      add("  local s = assert(listen(0, host:find(\":\") and \"::\" or \"0.0.0.0\"))\n")
    end
    local n = 0
    for _, t in ipairs(c.turns) do
      if t.from == "client" then
        if c.proto == "tcp" then
          add("  assert(c:send(%s))\n", lit(t.data))
        else
          add("  assert(s:sendto(%s, host, port))\n", lit(t.data))
        end
      else
        n = n + 1
        if c.proto == "tcp" then
          add("  local got, err, partial = c:receive(%d)\n", #t.data)
          add("  check(\"answer %d.%d\", got or partial, %s, err)\n", i, n, lit(t.data))
        else
          add("  local got, err = s:recvfrom(65535, timeout)\n")
          add("  check(\"answer %d.%d\", got, %s, not got and err or nil)\n", i, n, lit(t.data))
        end
      end
    end
    add(c.proto == "tcp" and "  c:close()\nend\n" or "  s:close()\nend\n")
  end
  add("\nif differ > 0 then os.exit(1) end\n")
  return table.concat(out)
end

local function replay(source, opts)
  opts = checkOptions(2, "replay", opts, {to = true, speed = true, filter = true})
  local speed = opts.speed or 1
  if type(speed) ~= "number" or speed < 0 then badArg(2, "replay", "speed must be a number >= 0 (0: as fast as possible)") end
  -- What to send: a list of {conv=, turn=} in the order of their time.
  local convs
  if type(source) == "string" then
    local err
    convs, err = capture.conversations(source, opts.filter)
    if not convs then return nil, err end
  elseif type(source) == "table" then
    if opts.filter ~= nil then badArg(2, "replay", "filter is for a capture's path; a list is sent as it is") end
    convs = source
    if source[1] and source[1].turns == nil then
      -- The packets of capture.read: their UDP datagrams, each its own.
      convs = {}
      for _, p in ipairs(source) do
        if p.proto == "udp" then
          local ep = function(a, port) return (a:find(":") and "[" .. a .. "]" or a) .. ":" .. port end
          convs[#convs + 1] = {proto = "udp", client = ep(p.src, p.sport), server = ep(p.dst, p.dport),
            turns = {{from = "client", time = p.time, data = p.data}}}
        end
      end
    end
  else
    badArg(1, "replay", "a capture's path, or the list capture.read or capture.conversations gives, expected, got " .. type(source))
  end
  local sends = {}
  for _, c in ipairs(convs) do
    for _, t in ipairs(c.turns) do
      if t.from == "client" then sends[#sends + 1] = {conv = c, turn = t} end
    end
  end
  table.sort(sends, function(a, b) return a.turn.time < b.turn.time end)
  local counts = {datagrams = 0, streams = 0, bytes = 0, failed = 0}
  if #sends == 0 then return counts end
  local udp, streams, drains = nil, {}, {}
  local first, start = sends[1].turn.time, now()
  for _, s in ipairs(sends) do
    if speed > 0 then
      local wait = (s.turn.time - first) / speed - (now() - start)
      if wait > 0 then sleep(wait) end
    end
    local c = s.conv
    local host, port = splitAddress(opts.to or c.server)
    if c.proto == "udp" then
      udp = udp or assert(listen(0, "::"))
      local ok, err = udp:sendto(s.turn.data, host, port)
      if ok then
        counts.datagrams, counts.bytes = counts.datagrams + 1, counts.bytes + #s.turn.data
      else
        counts.failed, counts.error = counts.failed + 1, counts.error or err
      end
    else
      local st = streams[c]
      if st == nil then
        local conn, err = connect(host, port, 5)
        st = conn or false
        streams[c] = st
        if conn then
          counts.streams = counts.streams + 1
          -- Take what the server answers, so that it never waits on us.
          drains[#drains + 1] = spawn(function() conn:receive("*a") end)
        else
          counts.failed, counts.error = counts.failed + 1, counts.error or err
        end
      end
      if st then
        local ok, err = st:send(s.turn.data)
        if ok then
          counts.bytes = counts.bytes + #s.turn.data
        else
          counts.failed, counts.error = counts.failed + 1, counts.error or err
        end
      end
    end
  end
  for c, st in pairs(streams) do
    if st then st:shutdown("send") end
  end
  for _, t in ipairs(drains) do t:wait(1) end
  for _, st in pairs(streams) do
    if st then st:close() end
  end
  if udp then udp:close() end
  return counts
end

return script, replay
