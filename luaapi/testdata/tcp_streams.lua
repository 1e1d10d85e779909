-- A TCP listener, a client and the accepted stream, with LuaSocket's
-- receive patterns.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local lip, lport = l:getsockname()
print(tostring(l) == "tcp-listen{127.0.0.1:" .. lport .. "}")
local c = connect("127.0.0.1", lport)
local peer = l:accept(5)
print(select(2, c:getpeername()) == lport, select(2, peer:getpeername()) == select(2, c:getsockname()))
print(tostring(c):match("^tcp{127%.0%.0%.1:%d+ %-> 127%.0%.0%.1:%d+}$") ~= nil)
print(c:send("one\r\ntwo\nthreefour"))
print(peer:receive())
print(peer:receive("*l"))
print(peer:receive(5))
-- A read that cannot complete returns what it read, so nothing is lost.
print(peer:receive("*l", 0.02))
print(peer:receive(0))
c:send("tail")
c:close()
print(peer:receive("*l"))
print(peer:receive("*a"))
print(peer:receive(1))
print(peer:send("to nobody") == nil or true)
peer:close()
print(peer:receive(), peer:send("x"))
-- Refused and timed out.
local gone = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local gport = select(2, gone:getsockname())
gone:close()
print(connect("127.0.0.1", gport) == nil, select(2, connect("127.0.0.1", gport)) == "connection refused: 127.0.0.1:" .. gport .. " (nothing listens there)")
print(l:accept(0.01))
-- Mistakes raise.
print(pcall(connect, "127.0.0.1", 0))
print(pcall(function() return c:receive("*x") end))
print(pcall(function() return l:receive() end))
print(pcall(function() return c:accept() end))
print(pcall(function() return c:shutdown("sideways") end))
print(pcall(listen, {port = 0, proto = "sctp"}))
-- Output:
-- true
-- true	true
-- true
-- 18
-- one
-- two
-- three
-- nil	timeout	four
-- 
-- nil	closed	tail
-- 
-- nil	closed	
-- true
-- nil	nil	closed
-- true	true
-- nil	timeout
-- false	testdata/tcp_streams.lua:32: bad argument #2 to 'connect' (port must be 1-65535, got 0)
-- false	testdata/tcp_streams.lua:33: bad argument #1 to 'receive' (pattern must be "*l", "*a" or a number of bytes, got string "*x")
-- false	testdata/tcp_streams.lua:34: attempt to call method 'receive' (a nil value); tcp-listen sockets have accept, close, getoption, getsockname, setoption, settimeout
-- false	testdata/tcp_streams.lua:35: attempt to call method 'accept' (a nil value); tcp sockets have close, getoption, getpeername, getsockname, receive, send, setoption, settimeout, shutdown
-- false	testdata/tcp_streams.lua:36: bad argument #1 to 'shutdown' (how must be "send", "receive" or "both", got string "sideways")
-- false	testdata/tcp_streams.lua:37: bad argument #1 to 'listen' (proto must be "udp" or "tcp", got string "sctp")
