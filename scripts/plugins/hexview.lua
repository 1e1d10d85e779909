-- hexview: a small plugin that shows what arrives on a UDP port as a hex
-- dump, and the model for writing one (see "Write your own protocol" in
-- the README).
--
--   :hexview 6000        at the prompt: dump the next datagram to port 6000
--   hexview.once(6000)   the same from Lua; returns the datagram

local hexview = {}

-- once waits for one datagram on port and prints it as a hex dump.
function hexview.once(port, timeout)
  local s = assert(listen(port))
  local data, ip, from = s:recvfrom(65535, timeout)
  s:close()
  if not data then return nil, ip end
  print(("%d bytes from %s:%d"):format(#data, ip, from))
  io.write(hexdump(data))
  return data
end

describe{
  name = "hexview.once",
  signature = "hexview.once(port [, timeout])",
  summary = "Waits for one datagram on a UDP port and prints it as a hex dump.",
  example = 'hexview.once(6000, 5)',
}

command{
  name = "hexview",
  help = "hexview PORT [SECONDS]: dump the next datagram to PORT",
  run = function(args)
    local port = tonumber(args[1])
    if not port then print("usage: :hexview PORT [SECONDS]") return end
    local ok, err = hexview.once(port, tonumber(args[2]))
    if not ok then print(err) end
  end,
}

return hexview
