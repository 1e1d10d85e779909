-- hostinfo() always has a hostname, an IP string and the loopback interface.
local h = hostinfo()
print(type(h.hostname), type(h.ip), h.ip:match("^%d+%.%d+%.%d+%.%d+$") ~= nil)
print(h.ip_source == "hostname" or h.ip_source == "interface" or h.ip_source == "loopback")
print(h.mac == nil or h.mac:match("^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$") ~= nil)
local lo
for _, i in ipairs(h.interfaces) do
  if i.loopback then lo = i end
  assert(type(i.name) == "string" and type(i.mtu) == "number" and type(i.up) == "boolean")
end
print(lo ~= nil, lo.up, lo.mac, lo.addrs[1])
-- Output:
-- string	string	true
-- true
-- true
-- true	true	nil	127.0.0.1/8
