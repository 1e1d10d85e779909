-- broadcast.lua [interface] [message] [port]: the chapter's closing
-- remark, tried out.
--
-- "An address whose last number is 255 is a broadcast address: every host
-- on the local network receives the message." This sends the message to
-- the broadcast address of each IPv4 network this host is on (or only of
-- the interface named), then listens a moment for whatever answers come
-- back.
--
--   sockshell scripts/broadcast.lua hello 5000
--   sockshell scripts/broadcast.lua lo hello 5000     (loopback only: 127.255.255.255)

local interfaces = hostinfo().interfaces
local only
local rest = {}
for i = 1, #arg do
  local named = false
  for _, iface in ipairs(interfaces) do
    if iface.name == arg[i] and not only then only, named = arg[i], true end
  end
  if not named then rest[#rest + 1] = arg[i] end
end
local message, port = rest[1] or "hello, everyone", tonumber(rest[2]) or 5000

-- broadcast computes a network's broadcast address from "a.b.c.d/len".
local function broadcast(cidr)
  local a, b, c, d, len = cidr:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)/(%d+)$")
  if not a then return nil end
  local ip = ((a * 256 + b) * 256 + c) * 256 + d
  local hostbits = 2 ^ (32 - len)
  local bcast = ip - ip % hostbits + hostbits - 1
  local out = {}
  for i = 3, 0, -1 do out[#out + 1] = math.floor(bcast / 256 ^ i) % 256 end
  return table.concat(out, ".")
end

local s = assert(listen(0))
for _, iface in ipairs(interfaces) do
  if iface.up and (not only or iface.name == only) then
    for _, cidr in ipairs(iface.addrs) do
      local to = broadcast(cidr)
      if to and tonumber(cidr:match("/(%d+)$")) < 32 then
        local sent, err = s:sendto(message, to, port)
        print(("%-8s %-18s -> %s:%d  %s"):format(iface.name, cidr, to, port, sent and "sent" or err))
      end
    end
  end
end

-- Answers come back to this socket's port, from any host that replies.
while true do
  local data, ip, from = s:recvfrom(65535, 1)
  if not data then break end
  print(("reply from %s:%d: %s"):format(ip, from, data))
end
