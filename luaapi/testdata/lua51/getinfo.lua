-- debug.getinfo's fields as Lua 5.1 has them: what, source and short_src,
-- lines, name and namewhat, func, activelines; "SfL" and the other
-- options in any order.
local function test()
  return 1
end
local a = debug.getinfo(print)
print(a.what, a.short_src, a.source, a.currentline, a.linedefined, a.lastlinedefined)
local b = debug.getinfo(test, "SfL")
print(b.what, b.short_src, b.source, b.linedefined, b.lastlinedefined, b.func == test, b.currentline)
print(b.activelines[5], b.activelines[6], b.activelines[4], b.activelines[7])
local c = debug.getinfo(1)
print(c.what, c.short_src, c.currentline, c.name, c.namewhat, c.nups)
local up = 1
local function named() local i = debug.getinfo(1, "nu") return i.name, i.namewhat, i.nups + up * 0 end
print(named())
local t = {m = function() return debug.getinfo(1, "n") end}
print(t.m().name, t.m().namewhat)
function global_fn() local i = debug.getinfo(1, "n") return i.name, i.namewhat end
print(global_fn())
print(debug.getinfo(100), pcall(debug.getinfo, 1, "x"))
local f = loadstring("return debug.getinfo(1, 'S')", "=mychunk")()
print(f.source, f.short_src, f.what)
local g = loadstring("return debug.getinfo(1, 'S')")()
print(g.source, g.short_src)
local h = loadstring("return debug.getinfo(1, 'S')", "@some/file.lua")()
print(h.source, h.short_src)
-- a block's locals end with the block, the names of later ones are found
local function scopes()
  do local s1, s2 = 1, 2 end
  repeat
    local inner = function() return debug.getinfo(2, "n") end
    local outer = function() local i = inner() return i end
    local o = outer()
    print(o.name, o.namewhat)
  until true
end
scopes()
-- Output:
-- C	[C]	=[C]	-1	-1	-1
-- Lua	testdata/lua51/getinfo.lua	@testdata/lua51/getinfo.lua	4	6	true	nil
-- true	true	nil	nil
-- main	testdata/lua51/getinfo.lua	12	nil		0
-- named	local	1
-- m	field
-- global_fn	global
-- nil	false	bad argument #2 to '?' (invalid option)
-- =mychunk	mychunk	main
-- return debug.getinfo(1, 'S')	[string "return debug.getinfo(1, 'S')"]
-- @some/file.lua	some/file.lua
-- outer	local
