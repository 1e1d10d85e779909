-- echo_server.lua [port]: echoes UDP datagrams and TCP lines on one port.
--
-- Two tasks share the work: one answers every UDP datagram with the same
-- bytes, the other accepts TCP clients and gives each a task that sends
-- every line back.
--
--   sockshell scripts/echo_server.lua 7000
--   printf 'hi\n' | nc 127.0.0.1 7000          (or sendto / connect at the prompt)

local port = tonumber(arg[1]) or 7

-- Binds UDP and TCP on one port number. With port 0 the UDP socket picks
-- it, and TCP may find that number taken: then pick again.
local function bind(p)
  local udp, err = listen{port = p, host = "0.0.0.0"}
  if not udp then return nil, err end
  local tcp, terr = listen{port = select(2, udp:getsockname()), proto = "tcp", reuseaddr = true}
  if not tcp then udp:close() return nil, terr end
  return udp, tcp
end
local udp, tcp = bind(port)
for _ = 1, 20 do
  if udp or port ~= 0 then break end
  udp, tcp = bind(0)
end
assert(udp, tcp)
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

-- Accepting fails when the process runs out of descriptors: then wait
-- before trying again, 5 ms doubling to 1 s, as Go's net/http does,
-- rather than spin.
spawn(function()
  local backoff = 0
  while true do
    local client, err = tcp:accept()
    if client then
      backoff = 0
      spawn(echo, client)
    else
      backoff = math.min(backoff > 0 and backoff * 2 or 0.005, 1)
      io.stderr:write("echo_server: accept: ", err, " (trying again in ", backoff, " s)\n")
      sleep(backoff)
    end
  end
end)
