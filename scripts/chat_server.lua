-- chat_server.lua [port]: a TCP chat room.
--
-- Every line a client sends goes to every other client, prefixed with the
-- sender's name: its address at first, or the name it took with "/nick NAME".
-- Clients join and leave at any time; one that vanishes, even mid-line,
-- only leaves the room, and one that stops reading is dropped. Each client
-- is served by a task of its own.
--
--   sockshell scripts/chat_server.lua 6000
--   sockshell scripts/chat_client.lua 127.0.0.1 6000   (in other terminals)

local port = tonumber(arg[1]) or 5000

local server, err = listen{port = port, proto = "tcp", reuseaddr = true}
if not server then
  io.stderr:write("chat_server: ", err, "\n")
  os.exit(1)
end
print("chat room on port " .. select(2, server:getsockname()))

-- Each member has an outgoing queue: a line for a member that reads
-- slowly waits there. As message servers do (NATS), a member is dropped
-- when a write to it makes no progress for STALL seconds (it stopped
-- reading), or when its queue passes MAXQUEUE bytes, so that no member can
-- stall the room or fill the server's memory, while one that reads keeps
-- up with any burst the room sends.
local STALL = 2
local MAXQUEUE = 8 * 1024 * 1024

local members = {}   -- stream -> {name =, queue = {lines}, head =, tail =, queued = bytes, writing = bool}

local tell

-- drop removes a member that stopped reading.
local function drop(client, why)
  local m = members[client]
  if not m then return end
  members[client] = nil
  client:close()
  tell(nil, "* " .. m.name .. " dropped (" .. why .. ")")
end

-- flush sends a member's queue, as long as each write makes progress
-- within STALL seconds; it runs as a task while the queue is not empty.
local function flush(client, m)
  while m.head <= m.tail and members[client] == m do
    local chunk = m.queue[m.head]
    m.queue[m.head] = nil
    m.head = m.head + 1
    m.queued = m.queued - #chunk
    while true do
      local sent, err, n = client:send(chunk, STALL)
      if sent then break end
      if err ~= "timeout" then m.writing = false return end -- gone: its task sees it
      if (n or 0) == 0 then return drop(client, "no progress for " .. STALL .. " s: it stopped reading") end
      chunk = chunk:sub(n + 1)
    end
  end
  m.queue, m.head, m.tail, m.writing = {}, 1, 0, false
end

-- deliver gives a line to one member without waiting: it goes out now if
-- the member keeps up, or into its queue.
local function deliver(client, m, line)
  if m.writing then
    if m.queued + #line > MAXQUEUE then
      return drop(client, "more than " .. MAXQUEUE / 1048576 .. " MB behind")
    end
    m.tail = m.tail + 1
    m.queue[m.tail] = line
    m.queued = m.queued + #line
    return
  end
  local sent, err, n = client:send(line, 0)
  if sent or err ~= "timeout" then return end -- a member that has gone: its task sees it
  local rest = line:sub(n + 1)
  m.queue, m.head, m.tail, m.queued, m.writing = {rest}, 1, 1, #rest, true
  spawn(flush, client, m)
end

-- tell sends a line to everyone but the sender.
function tell(from, line)
  for client, m in pairs(members) do
    if client ~= from then
      deliver(client, m, line .. "\n")
    end
  end
end

local function serve(client)
  local ip, cport = client:getpeername()
  local m = {name = ip .. ":" .. cport, queue = {}, head = 1, tail = 0, queued = 0, writing = false}
  client:setoption("sndbuf", 32768)
  members[client] = m
  tell(client, "* " .. m.name .. " joined")
  while true do
    local line = client:receive()        -- nil when the client leaves
    if not line then break end
    local nick = line:match("^/nick%s+(%S+)")
    if nick then
      tell(client, "* " .. m.name .. " is now " .. nick)
      m.name = nick
    elseif line ~= "" then
      tell(client, m.name .. ": " .. line)
    end
  end
  client:close()
  if members[client] == m then           -- not dropped already
    members[client] = nil
    tell(nil, "* " .. m.name .. " left")
  end
end

-- Accepting fails when the process runs out of descriptors: then wait
-- before trying again, 5 ms doubling to 1 s, as Go's net/http does,
-- rather than spin.
local backoff = 0
while true do
  local client, err = server:accept()
  if client then
    backoff = 0
    spawn(serve, client)
  else
    backoff = math.min(backoff > 0 and backoff * 2 or 0.005, 1)
    io.stderr:write("chat_server: accept: ", err, " (trying again in ", backoff, " s)\n")
    sleep(backoff)
  end
end
