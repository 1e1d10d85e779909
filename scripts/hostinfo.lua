-- hostinfo.lua: the host's IP and MAC address, printed as the chapter's
-- Python does.
--
-- Python's uuid.getnode() is the MAC address read as a 48-bit number; here it
-- comes from hostinfo().mac, the MAC of the interface that carries the IP.

local h = hostinfo()

if h.mac then
  local hex = h.mac:gsub(":", "")                      -- "02fc00000001", the chapter's macHex
  print(("node: %.0f"):format(tonumber(hex, 16)))      -- the same 48 bits as a number
  print(hex)
else
  print("node: none (" .. h.ip .. " is on no interface with a MAC address)")
end

print("IP: " .. h.ip)
print("MAC: " .. (h.mac or "none"))
