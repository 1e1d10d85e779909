-- cancel ends a task at once, even one blocked in a call.
local s = listen(0, "127.0.0.1")
local t = spawn(function() return s:recvfrom() end)
sleep(0.01)
print(t.status, #tasks())
print(t:cancel(), t.status, #tasks())
print(t:wait())
print(t:cancel())
-- The socket it waited on still works.
sendto("after", s:getsockname())
print((s:recvfrom(100, 5)))
-- wait gives up after its timeout; the task goes on.
local slow = spawn(sleep, 0.05)
print(slow:wait(0.001))
print(slow.status)
print(slow:wait() == nil)
print(slow.status)
-- A task may cancel itself; its code stops there.
local selfish = spawn(function(me) end)
local after = "not changed"
selfish = spawn(function() sleep(0) coroutine.running() after = "ran"; selfish:cancel(); after = "went on" end)
sleep(0.01)
print(selfish.status, after)
-- Output:
-- waiting	1
-- true	cancelled	0
-- nil	cancelled
-- false
-- after
-- nil	timeout
-- waiting
-- true
-- done
-- cancelled	ran
