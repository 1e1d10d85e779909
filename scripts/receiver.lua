-- receiver.lua [port]: the chapter's UDP receiver.
--
-- Binds a UDP port (5000 unless given) on every IPv4 interface, prints each
-- datagram with the port and address it came from, and stops after the
-- datagram whose text is "bye" in any case.
--
--   sockshell scripts/receiver.lua 6000
--   sockshell scripts/sender.lua hello 127.0.0.1 6000   (in another terminal)

local port = tonumber(arg[1]) or 5000

-- listen(port) binds 0.0.0.0:port, like Python's s.bind(('', 5000)).
local s, err = listen(port)
if not s then
  io.stderr:write("receiver: ", err, "\n")
  os.exit(1)
end

while true do
  -- One datagram, its sender's IP address and port; recvfrom waits for it.
  local data, ip, fromport = s:recvfrom(1024)
  print(("received message:%s from PORT%d on %s"):format(data, fromport, ip))
  if data:lower() == "bye" then
    break
  end
end

s:close()
