-- Nothing read is lost: what a cancelled task's call had already read
-- goes back to the socket, ahead of anything newer.
local function until_ready(t)
  local deadline = os.time() + 10
  while t.status ~= "ready" and os.time() < deadline do end -- the baton stays here
  return t.status
end
-- A line of a stream.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
local t = spawn(function() return peer:receive() end)
sleep(0) -- t waits in receive
c:send("one\r\ntwo\n")
print(until_ready(t)) -- its receive got "one" and waits to run
print(t:cancel(), t.status)
print(peer:receive())
print(peer:receive())
-- A datagram.
local s = listen(0, "127.0.0.1")
local ip, port = s:getsockname()
t = spawn(function() return s:recvfrom() end)
sleep(0)
sendto("first", ip, port)
print(until_ready(t))
sendto("second", ip, port)
t:cancel()
print((s:recvfrom(100, 5)))
print((s:recvfrom(100, 5)))
-- A connection (connect waits, so it comes first: the baton stays here).
local c2 = connect("127.0.0.1", select(2, l:getsockname()))
t = spawn(function() return l:accept() end)
sleep(0)
print(until_ready(t))
t:cancel()
local p2 = l:accept(5)
c2:send("via the kept connection\n")
print(p2:receive())
-- Output:
-- ready
-- true	cancelled
-- one
-- two
-- ready
-- first
-- second
-- ready
-- via the kept connection
