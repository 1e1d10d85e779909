-- Lua 5.1 functions upstream gopher-lua left out or made differently.
print(type(collectgarbage("count")), select("#", collectgarbage("count")), collectgarbage())
print(type(collectgarbage("step")), collectgarbage("setpause", 150), collectgarbage("setpause", 200))
print(pcall(collectgarbage, "nope"))
local kb = gcinfo() -- once: the heap changes between two calls
print(type(kb), kb == math.floor(kb))
table.foreach({10, 20}, function(k, v) io.write(k, "=", v, " ") end) print()
print(table.foreach({a = 1}, function(k, v) return k .. v end))
print(table.foreachi({10, 20, 30}, function(i, v) if v == 20 then return i, "ignored" end end))
print(select("#", table.foreachi({}, print)))
print(os.setlocale(), os.setlocale("C"), os.setlocale(nil, "numeric"), os.setlocale("POSIX", "all"))
print(os.setlocale("xx_YY"), pcall(os.setlocale, "C", "everything"))
print(os.execute() ~= 0, os.execute("exit 3"), os.execute("true"))
-- debug.traceback returns a message that is no string or number as it is.
local t = {}
print(debug.traceback(t) == t, debug.traceback(nil), (debug.traceback(12):gsub("\n.*", "")))
print((debug.traceback("m", 1):gsub("\n.*", "")), select("#", debug.traceback()))
local e = {code = 1}
print(select(2, xpcall(function() error(e) end, debug.traceback)) == e)
-- A reader that fails makes load fail; it does not raise.
print(pcall(load, function() error("x", 0) end))
local pieces = {"return ", "1 + ", "1"}
print(load(function() return table.remove(pieces, 1) end)())
-- A chunk loaded inside a coroutine takes that thread's environment.
local co = coroutine.create(function() setfenv(0, {who = "zero"}) return loadstring("return who")() end)
print(coroutine.resume(co))
local co2 = coroutine.create(function() return loadstring("return who")() end)
debug.setfenv(co2, {who = "set"})
print(coroutine.resume(co2))
-- A ';' ends a statement; alone it is an error.
print(loadstring("x = 1; y = 2;") ~= nil, loadstring("return;") ~= nil)
print(loadstring(";"))
print(loadstring("do ; end"))
-- Output:
-- number	1	0
-- boolean	200	150
-- false	bad argument #1 to '?' (invalid option 'nope')
-- number	true
-- 1=10 2=20 
-- a1
-- 2
-- 0
-- C	C	C	C
-- nil	false	bad argument #2 to '?' (invalid option 'everything')
-- true	768	0
-- true	nil	12
-- m	1
-- true
-- true	nil	x
-- 2
-- true	zero
-- true	set
-- true	true
-- nil	[string ";"]:1: unexpected symbol near ';'
-- nil	[string "do ; end"]:1: unexpected symbol near ';'
