-- The chapter: an address ending in 255 broadcasts. 127.255.255.255 is the
-- loopback network's broadcast address; no extra call is needed to use it.
local rx = listen(0, "0.0.0.0")
local _, port = rx:getsockname()
print(sendto("to all", "127.255.255.255", port))
local d, from = rx:recvfrom(100, 5)
print(d, from)
local tx = listen(0)
print(tx:sendto("again", "127.255.255.255", port))
print(rx:recvfrom(100, 5) == "again")
-- Output:
-- 6
-- to all	127.0.0.1
-- 5
-- true
