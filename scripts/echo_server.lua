-- echo_server.lua [port]: echoes UDP datagrams and TCP lines on one port.
--
-- Two tasks share the work: one answers every UDP datagram with the same
-- bytes, the other accepts TCP clients and gives each a task that sends
-- every line back.
--
--   sockshell scripts/echo_server.lua 7000
--   printf 'hi\n' | nc 127.0.0.1 7000          (or sendto / connect at the prompt)

local port = tonumber(arg[1]) or 7

local udp = assert(listen{port = port, host = "0.0.0.0"})
local tcp = assert(listen{port = select(2, udp:getsockname()), proto = "tcp", reuseaddr = true})
print("echo on udp and tcp port " .. select(2, udp:getsockname()))

spawn(function()
  while true do
    local data, ip, from = udp:recvfrom()
    if data then udp:sendto(data, ip, from) end
  end
end)

local function echo(client)
  while true do
    local line = client:receive()
    if not line then break end
    client:send(line .. "\n")
  end
  client:close()
end

spawn(function()
  while true do
    local client = tcp:accept()
    if client then spawn(echo, client) end
  end
end)
