-- error's level names the function that raised (1) or its caller (2), as
-- in Lua.
local function f() error("one") end
local function g() error("two", 2) end
local function h() g() end
print(pcall(f))
print(pcall(h))
print(pcall(error, "zero", 0))
print(select(2, pcall(error, {})) ~= nil)
print(pcall(function() error("from a Go caller", 2) end))
print(pcall(error))
-- Output:
-- false	testdata/error_levels.lua:3: one
-- false	testdata/error_levels.lua:5: two
-- false	zero
-- true
-- false	from a Go caller
-- false	nil
