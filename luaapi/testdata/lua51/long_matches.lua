-- A repetition over a long string matches as in Lua 5.1, without a level
-- of recursion per character: greedy, lazy, one or more, with captures
-- and backtracking.
local s = ("x"):rep(2e6)
print(#s:match(".*"), #s:match("x+"), #s:match(".-$"), #s:match("^(.-)x$"))
local line = "X-Long: " .. ("v"):rep(100000)
local name, value = line:match("^(.-):%s*(.*)")
print(name, #value)
print(("aaab"):match("a*ab"), ("aaab"):match("a-b"), ("aaa"):match("a-$"), ("abc"):find("b*"))
print(("  trim me  "):match("^%s*(.-)%s*$"))
-- Output:
-- 2000000	2000000	2000000	1999999
-- X-Long	100000
-- aaab	aaab	aaa	1	0
-- trim me
