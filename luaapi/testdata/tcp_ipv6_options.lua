-- TCP over IPv6: addresses print in brackets.
local l = listen{port = 0, host = "::1", proto = "tcp"}
local port = select(2, l:getsockname())
print(tostring(l) == "tcp-listen{[::1]:" .. port .. "}")
local c = connect("::1", port)
local peer = l:accept()
print((c:getpeername()), select(2, c:getpeername()) == port)
print(tostring(c):match("^tcp{%[::1%]:%d+ %-> %[::1%]:%d+}$") ~= nil)
c:send("six\n")
print(peer:receive())
-- Options.
print(c:setoption("nodelay", true), c:getoption("nodelay"), c:getoption("tcp-nodelay"))
print(c:setoption("tcp-nodelay", false), c:getoption("nodelay"))
print(c:setoption("keepalive", true), c:getoption("keepalive"))
print(c:setoption("rcvbuf", 65536), c:getoption("rcvbuf") >= 65536)
local u = listen(0, "127.0.0.1")
print(u:getoption("broadcast"), u:getoption("reuseaddr"))
local r = listen{port = 0, host = "127.0.0.1", reuseaddr = true}
print(r:getoption("reuseaddr"))
local again = listen{port = select(2, r:getsockname()), host = "127.0.0.1", reuseaddr = true}
print(again ~= nil)
print(select(2, pcall(c.setoption, c, "colour", 1)))
print(select(2, pcall(c.setoption, c, "reuseaddr", true)))
print(select(2, pcall(u.setoption, u, "nodelay", true)))
print(select(2, pcall(c.setoption, c, "nodelay", "yes")))
print(select(2, pcall(l.getoption, l, "rcvbuf")))
-- Multicast membership on UDP sockets.
print(u:join("239.1.2.3", "lo"), u:leave("239.1.2.3", "lo"))
print(select(2, pcall(u.join, u, "127.0.0.1")))
print(u:join("239.1.2.3", "no-such-if0"))
c:close()
print(c:setoption("nodelay", true))
print(u:getoption("coalesce"), u:setoption("coalesce", 0.002), u:getoption("coalesce"))
print(select(2, pcall(u.setoption, u, "coalesce", 1)))
print(select(2, pcall(peer.getoption, peer, "coalesce")))
-- Output:
-- true
-- ::1	true
-- true
-- six
-- true	true	true
-- true	false
-- true	true
-- true	true
-- true	false
-- true
-- true
-- testdata/tcp_ipv6_options.lua:22: bad argument #1 to 'setoption' (unknown option 'colour' (options: nodelay, keepalive, rcvbuf, sndbuf, maxline, coalesce))
-- testdata/tcp_ipv6_options.lua:23: bad argument #1 to 'setoption' (reuseaddr is set when binding: listen{port=..., reuseaddr=true})
-- testdata/tcp_ipv6_options.lua:24: bad argument #1 to 'setoption' (a udp socket has no option 'nodelay')
-- testdata/tcp_ipv6_options.lua:25: bad argument #2 to 'setoption' (nodelay takes true or false, got string "yes")
-- testdata/tcp_ipv6_options.lua:26: bad argument #1 to 'getoption' (a listening socket has no option 'rcvbuf')
-- true	true
-- testdata/tcp_ipv6_options.lua:29: bad argument #1 to 'join' (group must be a multicast address, got string "127.0.0.1")
-- nil	239.1.2.3 on no-such-if0: no such network interface
-- nil	closed
-- 0	true	0.002
-- testdata/tcp_ipv6_options.lua:34: bad argument #2 to 'setoption' (coalesce must be seconds from 0 to 0.1, got number 1)
-- testdata/tcp_ipv6_options.lua:35: bad argument #1 to 'getoption' (a tcp socket has no option 'coalesce')
