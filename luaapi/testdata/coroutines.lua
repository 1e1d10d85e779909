-- Coroutines work as in Lua 5.1 (they carry the session's interrupt).
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d + e
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.resume(co))
print(coroutine.status(co))
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
print(gen(), gen(), gen())
local bad = coroutine.wrap(function() error("inside", 0) end)
print(pcall(bad))
-- Sockets work inside coroutines.
local rx = listen(0, "127.0.0.1")
local ip, port = rx:getsockname()
local reader = coroutine.wrap(function() return rx:recvfrom(100, 5) end)
sendto("in a coroutine", ip, port)
print((reader()))
-- Yielding where gopher-lua could not resume says so, as Lua 5.1 does.
print(pcall(coroutine.yield, 1))
print(coroutine.wrap(function() return pcall(coroutine.yield, 5) end)())
-- A task's thread is no coroutine: it cannot be resumed.
print(spawn(function() return coroutine.resume(coroutine.running()) end):wait())
-- Output:
-- true	3
-- true	20
-- true	7
-- false	cannot resume dead coroutine
-- dead
-- 1	2	3
-- false	inside
-- in a coroutine
-- false	testdata/coroutines.lua:23: attempt to yield from outside a coroutine
-- false	testdata/coroutines.lua:24: attempt to yield across a Go call boundary (pcall, table.sort, string.gsub, require…): yield outside it, or use a task, where blocking calls work everywhere
-- false	cannot resume non-suspended coroutine
