-- Every byte value, NUL included, crosses unchanged.
local rx = listen(0, "127.0.0.1")
local ip, port = rx:getsockname()
local bytes = {}
for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
local payload = table.concat(bytes)
print(sendto(payload, ip, port))
local data, from, fromport, truncated = recvfrom(rx)
print(data == payload, from, type(fromport), fromport ~= port, truncated)
-- The method form is the same call.
local tx = listen(0, "127.0.0.1")
tx:sendto("a\0b", ip, port)
local d2, _, p2 = rx:recvfrom()
print(#d2, d2 == "a\0b", p2 == select(2, tx:getsockname()))
-- A reply goes back to the socket that sent.
rx:sendto("pong", from, p2)
local reply, rfrom, rport = tx:recvfrom(100, 5)
print(reply, rfrom, rport == port)
-- Output:
-- 256
-- true	127.0.0.1	number	true	nil
-- 3	true	true
-- pong	127.0.0.1	true
