-- sendto without a socket sends from a fresh one, like the chapter's sender.
local rx = listen(0, "127.0.0.1")
local ip, port = rx:getsockname()
print(sendto("one", ip, port))
print(sendto("two", "localhost", port))
local _, _, p1 = rx:recvfrom()
local _, _, p2 = rx:recvfrom()
print(p1 ~= port, p2 ~= port)
-- Numbers are sent as their text; numeric strings are ports.
print(sendto(42, ip, tostring(port)), rx:recvfrom() == "42")
-- Nothing listening is no error: UDP is best effort.
local gone = listen(0, "127.0.0.1")
local _, goneport = gone:getsockname()
gone:close()
print(sendto("anyone?", ip, goneport))
-- Mistakes raise; failures of the world return nil, message.
print(select(2, pcall(sendto, "x", "127.0.0.1", 0)))
print(select(2, pcall(sendto, "x", "127.0.0.1", 65536)))
print(select(2, pcall(sendto, "x", nil, 9)))
print(select(2, pcall(sendto, {}, "127.0.0.1", 9)))
print(select(2, pcall(sendto, rx, "x", "127.0.0.1")))
print(sendto("x", "no-such-host.invalid", 9))
print(sendto(string.rep("x", 70000), ip, port))
print(sendto(string.rep("x", 65508), ip, port))
print(#string.rep("x", 65507) == sendto(string.rep("x", 65507), ip, port))
print(#rx:recvfrom())
-- An IPv4 socket cannot reach an IPv6 address; a fresh socket picks its family.
print(rx:sendto("x", "::1", 9))
-- A socket that sends to one address after another reaches each.
local a = listen(0, "127.0.0.1")
local _, aport = a:getsockname()
local b = listen(0, "127.0.0.2")
local _, bport = b:getsockname()
local tx = listen(0, "127.0.0.1")
local got = {}
for i = 1, 3 do
  tx:sendto("a" .. i, "127.0.0.1", aport)
  tx:sendto("b" .. i, "127.0.0.2", bport)
  got[#got + 1] = a:recvfrom(100, 2) .. b:recvfrom(100, 2)
end
print(table.concat(got, " "))
-- Output:
-- 3
-- 3
-- true	true
-- 2	true
-- 7
-- testdata/sendto.lua:17: bad argument #3 to 'sendto' (port must be 1-65535, got 0)
-- testdata/sendto.lua:18: bad argument #3 to 'sendto' (port must be 1-65535, got 65536)
-- testdata/sendto.lua:19: bad argument #2 to 'sendto' (host must be a string, got nil)
-- testdata/sendto.lua:20: bad argument #1 to 'sendto' (data must be a string, got table)
-- testdata/sendto.lua:21: bad argument #4 to 'sendto' (port must be a number, got nil)
-- nil	cannot resolve "no-such-host.invalid": no such host (check the name, or give an IP address)
-- nil	datagram too large: 70000 bytes, the IPv4 limit is 65507 (send less per datagram)
-- nil	datagram too large: 65508 bytes, the IPv4 limit is 65507 (send less per datagram)
-- true
-- 65507
-- nil	address family mismatch: an IPv4 socket cannot send to [::1]:9 (listen(0, "::") makes a socket for both)
-- a1b1 a2b2 a3b3
