-- A datagram longer than bufsize is cut, and the 4th result says so.
local rx = listen(0, "127.0.0.1")
local ip, port = rx:getsockname()
sendto("0123456789", ip, port)
local d, f, p, cut = recvfrom(rx, 4)
print(d, f, type(p), cut)
sendto("0123", ip, port)
print(select("#", recvfrom(rx, 4)))
-- A timeout returns nil, "timeout"; 0 takes only what is queued.
print(recvfrom(rx, 100, 0.01))
print(rx:recvfrom(100, 0))
-- The socket's own timeout applies when the call gives none.
print(rx:settimeout(0.01) == rx)
print(rx:recvfrom())
rx:settimeout(nil)
-- Mistakes raise.
print(select(2, pcall(recvfrom, rx, 0)))
print(select(2, pcall(recvfrom, rx, 65536)))
print(select(2, pcall(recvfrom, rx, 10, -1)))
print(select(2, pcall(recvfrom, "rx")))
print(select(2, pcall(function() return rx:recvfrom("big") end)))
print(select(2, pcall(function() return rx:settimeout(-2) end)))
-- A closed socket says so, every time.
rx:close()
print(recvfrom(rx))
print(rx:close(), tostring(rx) == "udp{127.0.0.1:" .. port .. ", closed}")
print(rx:getsockname())
print(rx:sendto("x", ip, port))
-- Output:
-- 0123	127.0.0.1	number	true
-- 3
-- nil	timeout
-- nil	timeout
-- true
-- nil	timeout
-- testdata/recvfrom_limits.lua:17: bad argument #2 to 'recvfrom' (bufsize must be 1-65535, got 0)
-- testdata/recvfrom_limits.lua:18: bad argument #2 to 'recvfrom' (bufsize must be 1-65535, got 65536)
-- testdata/recvfrom_limits.lua:19: bad argument #3 to 'recvfrom' (timeout must be seconds >= 0 or nil, got number -1)
-- testdata/recvfrom_limits.lua:20: bad argument #1 to 'recvfrom' (udp socket expected, got string "rx")
-- testdata/recvfrom_limits.lua:21: bad argument #1 to 'recvfrom' (bufsize must be a number, got string "big")
-- testdata/recvfrom_limits.lua:22: bad argument #1 to 'settimeout' (timeout must be seconds >= 0 or nil, got number -2)
-- nil	closed
-- true	true
-- nil	closed
-- nil	closed
