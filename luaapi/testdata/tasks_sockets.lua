-- Two tasks wait on two sockets at once; neither blocks the other.
local s1, s2 = listen(0, "127.0.0.1"), listen(0, "127.0.0.1")
local t1 = spawn(function() return s1:recvfrom() end)
local t2 = spawn(function() return s2:recvfrom() end)
sleep(0.01) -- both are now waiting
print(t1.status, t2.status)
sendto("second", s2:getsockname())
print((t2:wait()))
print(t1.status)
sendto("first", s1:getsockname())
print((t1:wait()))
-- Several tasks may read one socket: each datagram goes to one of them.
local s = listen(0, "127.0.0.1")
local readers = {}
for i = 1, 3 do readers[i] = spawn(function() return (s:recvfrom()) end) end
sleep(0.01)
for i = 1, 3 do sendto("d" .. i, s:getsockname()) end
local got = {}
for i = 1, 3 do got[#got + 1] = readers[i]:wait(5) end
table.sort(got)
print(table.concat(got, " "))
-- A task's wait can time out, leaving the socket usable.
print(spawn(function() return s:recvfrom(100, 0.01) end):wait())
-- Output:
-- waiting	waiting
-- second
-- waiting
-- first
-- d1 d2 d3
-- nil	timeout
