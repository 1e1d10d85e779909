-- IPv6 literals work wherever IPv4 ones do; printed addresses are bracketed.
local rx = listen(0, "::1")
local ip, port = rx:getsockname()
print(ip, tostring(rx) == "udp{[::1]:" .. port .. "}")
print(sendto("six", "::1", port))
local d, from = rx:recvfrom()
print(d, from)
-- "::" listens on IPv6 and IPv4 alike; IPv4 senders show as IPv4.
local any = listen{port = 0, host = "::"}
local aip, aport = any:getsockname()
print(aip)
sendto("four", "127.0.0.1", aport)
sendto("six", "::1", aport)
local d4, f4 = any:recvfrom(100, 5)
local d6, f6 = any:recvfrom(100, 5)
print(d4, f4, d6, f6)
-- A dual-stack socket sends to both families.
print(any:sendto("back", "127.0.0.1", aport), any:sendto("back", "::1", aport))
-- Output:
-- ::1	true
-- 3
-- six	::1
-- ::
-- four	127.0.0.1	six	::1
-- 4	4
