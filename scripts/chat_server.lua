-- chat_server.lua [port]: a TCP chat room.
--
-- Every line a client sends goes to every other client, prefixed with the
-- sender's name: its address at first, or the name it took with "/nick NAME".
-- Clients join and leave at any time; one that vanishes, even mid-line,
-- only leaves the room. Each client is served by a task of its own.
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

local members = {}   -- stream -> name

-- tell sends a line to everyone but the sender. A send waits while that
-- client is slow; the other clients' tasks go on meanwhile.
local function tell(from, line)
  for client in pairs(members) do
    if client ~= from then
      client:send(line .. "\n")
    end
  end
end

local function serve(client)
  local ip, cport = client:getpeername()
  local name = ip .. ":" .. cport
  members[client] = name
  tell(client, "* " .. name .. " joined")
  while true do
    local line = client:receive()        -- nil when the client leaves
    if not line then break end
    local nick = line:match("^/nick%s+(%S+)")
    if nick then
      tell(client, "* " .. name .. " is now " .. nick)
      name = nick
      members[client] = name
    elseif line ~= "" then
      tell(client, name .. ": " .. line)
    end
  end
  members[client] = nil
  client:close()
  tell(nil, "* " .. name .. " left")
end

while true do
  local client = server:accept()
  if client then spawn(serve, client) end
end
