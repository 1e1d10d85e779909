-- A timeout never leaves a socket unusable, as in Python and LuaSocket.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
c:setoption("sndbuf", 4096)
peer:setoption("rcvbuf", 4096)
-- A send that timed out (the peer was not reading) ...
c:settimeout(0.1)
local big = ("y"):rep(4e6)
local n, err, sent = c:send(big)
print(n, err, sent > 0 and sent < #big)
-- ... then the peer drains, and the next send goes out.
local got = 0
while got < sent do got = got + #peer:receive(math.min(65536, sent - got)) end
print(got == sent)
c:settimeout(nil)
print(c:send("z\n"))
print(peer:receive())
-- A read that timed out, then data: a poll (timeout 0) sees it.
print(peer:receive("*l", 0.01))
c:send("line\n")
local line
for _ = 1, 1000 do
  line = peer:receive("*l", 0)
  if line then break end
  sleep(0.001)
end
print(line)
local u = listen(0, "127.0.0.1")
print(u:recvfrom(100, 0.01))
sendto("datagram", u:getsockname())
local d
for _ = 1, 1000 do
  d = u:recvfrom(100, 0)
  if d then break end
  sleep(0.001)
end
print(d)
-- Output:
-- nil	timeout	true
-- true
-- 2
-- z
-- nil	timeout	
-- line
-- nil	timeout
-- datagram
