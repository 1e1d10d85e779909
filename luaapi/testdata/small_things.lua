-- Messages that say what happened, in the project's words.
local u = listen(0, "0.0.0.0")
print(u:leave("239.1.2.3"))
print(pcall(listen, 0, "fe80::1%nosuchzone"))
print(connect("::1", 1))
-- A reset, and everything after it, reads as the reset. The server closes
-- with SO_LINGER 0 (through LuaSocket's setoption), which resets at once.
local server = require("socket").bind("127.0.0.1", 0)
local _, sport = server:getsockname()
local c = connect("127.0.0.1", tonumber(sport))
local p = server:accept()
p:setoption("linger", {on = true, timeout = 0})
p:close()
print(c:send("x"))
print(c:send("y"))
-- RFC 6761: .invalid does not exist and .localhost is loopback, with no
-- query to any server.
print(connect("host.is.invalid", 80))
local r = listen(0, "127.0.0.1")
print(sendto("to myself", "me.localhost", select(2, r:getsockname())))
print((r:recvfrom(100, 5)))
-- Output:
-- nil	not a member of 239.1.2.3 (s:join(group) first)
-- true	nil	no network interface "nosuchzone": udp port 0 on fe80::1%nosuchzone (hostinfo() lists the interfaces)
-- nil	connection refused: [::1]:1 (nothing listens there)
-- nil	connection reset: the peer aborted the connection (it closed with data unread, or its host went away)	0
-- nil	connection reset: the peer aborted the connection (it closed with data unread, or its host went away)	0
-- nil	cannot resolve "host.is.invalid": no such host (check the name, or give an IP address)
-- 9
-- to myself
