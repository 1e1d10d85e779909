-- Errors in error handling, and what a handler sees, as in Lua 5.1.
print(xpcall(error, error))
print(xpcall(function() error("x") end, function(m) error("y") end))
print(pcall(getmetatable(io.stdin).__gc))
-- A handler runs where the stack overflowed, with room to work: the
-- traceback has Lua's first 12 levels, "...", and the last 10.
local function y() y() end
local function g() y() end
local ok, msg = xpcall(g, debug.traceback)
local lines = {}
for line in msg:gmatch("[^\n]+") do lines[#lines + 1] = line end
print(ok, lines[1]:match("stack overflow$") ~= nil, lines[2], #lines, lines[14])
-- A key computed at run time: the indexed variable is named.
aaa = 9
local x, z = 1, 2
print(pcall(function() return aaa[x or z] end))
-- Strings in syntax errors as the source wrote them.
print(loadstring("'aa'"))
print(loadstring("[[a]]"))
print(loadstring("syntax error"))
-- Output:
-- false	error in error handling
-- false	error in error handling
-- false	bad argument #1 to '?' (FILE* expected, got no value)
-- false	true	stack traceback:	24		...
-- false	testdata/lua51/error_handling.lua:16: attempt to index global 'aaa' (a number value)
-- nil	[string "'aa'"]:1: unexpected symbol near ''aa''
-- nil	[string "[[a]]"]:1: unexpected symbol near '[[a]]'
-- nil	[string "syntax error"]:1: '=' expected near 'error'
