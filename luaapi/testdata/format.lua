-- string.format follows Lua 5.1 (C's printf), not Go's fmt.
print(("%d|%5d|%-5d|%05d|%+d|% d"):format(42, 42, 42, 42, 5, 5))
print(("%d %d %d"):format(3.7, -3.7, "10"))
print(("%x %X %#x %o %x"):format(255, 255, 255, 8, -1))
print(("%c%c%c"):format(76, 117, 97))
print(("%5.2f|%e|%g|%g|%g|%.3g|%G"):format(3.14159, 12345.678, 1/3, 100000, 1e20, 2/3, 1e-10))
print(("%g %g %f %5.1f"):format(1/0, -1/0, 1/0, -1/0))
print(("%.3s|%5s|%-5s|%s"):format("abcdef", "ab", "ab", ""))
print(("%s %s %s %s"):format(nil, true, 12, 2.5))
print(("%s"):format(setmetatable({}, {__tostring = function() return "custom" end})))
print(("%q"):format('a "quoted"\n\\ \r\0 end'))
print(("%5.1f%%"):format(99.44))
print(string.format("no conversions"))
print(("%s"):format(string.rep("x", 3)))
print(pcall(string.format, "%d", "x"))
print(pcall(string.format, "%d %d", 1))
print(pcall(string.format, "%y", 1))
print(pcall(string.format, "%123d", 1))
print(pcall(string.format, "%", 1))
-- Output:
-- 42|   42|42   |00042|+5| 5
-- 3 -3 10
-- ff FF 0xff 10 ffffffffffffffff
-- Lua
--  3.14|1.234568e+04|0.333333|100000|1e+20|0.667|1E-10
-- inf -inf inf  -inf
-- abc|   ab|ab   |
-- nil true 12 2.5
-- custom
-- "a \"quoted\"\
-- \\ \r\000 end"
--  99.4%
-- no conversions
-- xxx
-- false	testdata/format.lua:15: bad argument #2 to 'format' (number expected, got string "x")
-- false	testdata/format.lua:16: bad argument #3 to 'format' (no value)
-- false	testdata/format.lua:17: bad argument #1 to 'format' (invalid option '%y' to 'format')
-- false	testdata/format.lua:18: bad argument #1 to 'format' (invalid format (width or precision too long))
-- false	testdata/format.lua:19: bad argument #1 to 'format' (invalid option '%' to 'format')
