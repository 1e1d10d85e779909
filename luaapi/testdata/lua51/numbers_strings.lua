-- Strings become numbers as in Lua 5.1, not with Go's syntax; string.find
-- takes any start; %c pads as C does. Every line prints what lua5.1 prints.
print(tonumber("1e3"), tonumber("-1.5e2"), tonumber(" 0x1F "), tonumber(".5"), tonumber("5."), tonumber("\t7\n"))
print(tonumber("010"), tonumber("0b11"), tonumber("0o17"), tonumber("1_000"), tonumber("1e"), tonumber("0x"), tonumber(""))
print(tonumber("z", 36), tonumber("ff", 16), tonumber("8", 8), tonumber("1.5", 10), select(2, pcall(tonumber, "1", 99)))
print("010" + 0, "1e3" + 0, " 0x10 " * 1, "-2" * 2)
print(pcall(function() return "0b11" + 0 end))
print(pcall(function() return "1_0" + 0 end))
print(math.huge, -math.huge, math.huge == 1/0, 1e308 * 10)
print(string.find("abc", "", 2), string.find("abc", "", 10))
print(string.find("abc", "b", 10, true), string.find("abc", "b", 10), string.find("abc", "c", -1), string.find("abc", "a", -10))
print(("%3c|%-3c|%c|%03c|%10c|%.2c|"):format(65, 66, 67, 68, 69, 70))
-- Output:
-- 1000	-150	31	0.5	5	7
-- 10	nil	nil	nil	nil	nil	nil
-- 35	255	nil	1.5	bad argument #2 to '?' (base out of range)
-- 10	1000	16	-4
-- false	testdata/lua51/numbers_strings.lua:7: attempt to perform arithmetic on a string value
-- false	testdata/lua51/numbers_strings.lua:8: attempt to perform arithmetic on a string value
-- inf	-inf	true	inf
-- 2	4	3
-- nil	nil	3	1	1
--   A|B  |C|  D|         E|F|
