-- Two readers of one socket each keep their own timeout: a read with a
-- timeout (or a poll) while a task waits on the same socket returns in
-- time, and a datagram goes to exactly one of them.
local e = listen(0, "127.0.0.1")
local ip, port = e:getsockname()
local t = spawn(function() return (e:recvfrom()) end)
sleep(0) -- t runs and waits on e
print(e:recvfrom(100, 0))
print(e:recvfrom(100, 0.05))
sendto("one", ip, port)
print(t:wait(5))
-- The same for accept.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local a = spawn(function() return l:accept() end)
sleep(0)
print(l:accept(0.05))
local c = connect("127.0.0.1", select(2, l:getsockname()))
print(a:wait(5) ~= nil)
-- A task's wait that times out leaves the socket usable by the next.
local w = spawn(function() return e:recvfrom(100, 0.01) end)
print(w:wait())
sendto("two", ip, port)
print((e:recvfrom(100, 5)))
c:close() l:close() e:close()
-- sleep(math.huge) waits until it is stopped.
local forever = spawn(sleep, math.huge)
sleep(0.01)
print(forever.status, forever:cancel(), forever.status)
-- Output:
-- nil	timeout
-- nil	timeout
-- one
-- nil	timeout
-- true
-- nil	timeout
-- two
-- waiting	true	cancelled
