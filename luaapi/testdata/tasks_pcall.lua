-- pcall and xpcall work around blocking calls inside tasks.
local s = listen(0, "127.0.0.1")
local ip, port = s:getsockname()
local t = spawn(function()
  local ok, data = pcall(function() return s:recvfrom(100, 5) end)
  return ok, data
end)
sleep(0.01)
sendto("inside pcall", ip, port)
print(t:wait())
print(spawn(function() return pcall(function() sleep(0.001) error("late", 0) end) end):wait())
print(spawn(function() return pcall(recvfrom, s, 100, 0.001) end):wait())
print(spawn(function() return pcall(recvfrom, s, 0) end):wait())
print(spawn(function()
  return xpcall(function() sleep(0.001) error("late", 0) end, function(m) return "handled: " .. m end)
end):wait())
-- Nested pcalls and coroutines pass waits through.
print(spawn(function()
  return pcall(function()
    local co = coroutine.wrap(function() sleep(0.001) return pcall(function() sleep(0.001) return "deep" end) end)
    return co()
  end)
end):wait())
-- A plain coroutine.yield inside pcall in a task gives way and comes back.
print(spawn(function() return pcall(function() coroutine.yield() return "back" end) end):wait())
-- Output:
-- true	inside pcall
-- false	late
-- true	nil	timeout
-- false	testdata/tasks_pcall.lua:13: bad argument #2 to 'recvfrom' (bufsize must be 1-65535, got 0)
-- false	handled: late
-- true	true	deep
-- true	back
