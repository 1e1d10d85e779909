-- The debug library's levels as Lua 5.1 counts them: a level lost to a
-- tail call, a coroutine's stack and locals, getfenv of levels.
local function probe()
  local t = debug.getinfo(2, "Slnuf")
  print(t.what, t.short_src, t.source, t.linedefined, t.currentline, t.func, t.name, t.nups)
  print(debug.getinfo(1, "S").what, pcall(getfenv, 3))
  print(pcall(getfenv, 100))
  print(debug.getlocal(2, 1))
end
local function tailer() return probe() end
tailer()

-- error(msg, 2) towards a level lost to a tail call has no position
local function raise() error("bad", 2) end
print(pcall(function() return raise() end))
print(pcall(function() local x = raise() return x end))

-- a coroutine: its first function is a function, its locals readable
local co = coroutine.create(function(x)
  local a = 1
  coroutine.yield()
  return a
end)
coroutine.resume(co, 10)
local tb = debug.traceback(co)
print(tb:find("in function <") ~= nil, tb:find("main chunk") ~= nil)
print(debug.getlocal(co, 1, 1))
print(debug.getlocal(co, 1, 2))
print(debug.setlocal(co, 1, 2, "hi"))
print(coroutine.resume(co))
print(debug.getlocal(1, 0))

-- a coroutine dead of an error keeps the frames that raised
local function deep(n) if n == 0 then error("down") end deep(n - 1) end
local dead = coroutine.create(function() deep(2) end)
print(coroutine.resume(dead))
local _, n = debug.traceback(dead):gsub("in function 'deep'", "")
print(n)

print(type(debug.getregistry()))
-- Output:
-- tail	(tail call)	=(tail call)	-1	-1	nil		0
-- Lua	false	no function environment for tail call at level 3
-- false	bad argument #1 to '?' (invalid level)
-- nil
-- false	bad
-- false	testdata/lua51/debug_levels.lua:16: bad
-- true	false
-- x	10
-- a	1
-- a
-- true	hi
-- nil
-- false	testdata/lua51/debug_levels.lua:34: down
-- 3
-- table
