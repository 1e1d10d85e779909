-- Library functions behave as in Lua 5.1: frontier patterns, gsub's
-- replacement values, table.remove and table.insert at their bounds,
-- rawset's result, string.char's range, 5.0's names math.mod and
-- string.gfind. Every line prints what lua5.1 prints.
for w in ("THE (quick) fox"):gmatch("%f[%a]%a+") do io.write(w, ",") end print()
print(("THE (quick) fox"):find("%f[%a]%a+", 5), ("hello world"):gsub("%f[%w]%w+", string.upper))
print(("abc"):find("%f[%z]"), ("abc"):find("%f[^%z]"))
print(pcall(string.gsub, "abc", ".", {a = 1, b = true}))
print(string.gsub("abc", ".", {a = 1, b = false}), string.gsub("abc", "%w", function(c) if c == "b" then return 2 end end))
print(select("#", table.remove({})), table.remove({1, 2, 3}, 5), table.remove({1, 2, 3}, 1), table.remove({1, 2, 3}))
local t = {1, 2, 3} table.remove(t, 2) print(#t, t[1], t[2], t[3])
print(pcall(table.insert, {}, 1, 2, 3))
print(pcall(table.insert, {}))
print(rawset({}, "k", "v").k, pcall(string.char, 256))
print(pcall(string.char, -1))
print(string.char(0, 255):byte(1, -1))
print(math.mod(7, 3), math.mod(-7, 3), string.gfind == string.gmatch)
local sorted = {3, 1, 2} table.sort(sorted, nil) print(sorted[1], sorted[2], sorted[3])
local h = {} h[3] = "c" h[2] = "b" h[1] = "a" print(table.remove(h, 1), h[1], h[2], h[3], #h)
-- Output:
-- THE,quick,fox,
-- 6	HELLO WORLD	2
-- 4	1	0
-- false	invalid replacement value (a boolean)
-- 1bc	a2c	3
-- 0	nil	1	3
-- 2	1	3	nil
-- false	wrong number of arguments to 'insert'
-- false	wrong number of arguments to 'insert'
-- v	false	bad argument #1 to '?' (invalid value)
-- false	bad argument #1 to '?' (invalid value)
-- 0	255
-- 1	-1	true
-- 1	2	3
-- a	b	c	nil	2
