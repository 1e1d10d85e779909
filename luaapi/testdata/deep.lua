-- Deep recursion and big multiple results work within the session's limits:
-- calls 20000 deep (1000 in a task), tail calls without limit.
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(15000))
local function tail(n) if n == 0 then return "done" end return tail(n - 1) end
print(tail(1e6))
print(select("#", string.byte(string.rep("x", 65535), 1, -1)))
print(spawn(depth, 900):wait())
print(spawn(function() return pcall(depth, 1e6) end):wait())
-- Output:
-- 15000
-- done
-- 65535
-- 900
-- false	testdata/deep.lua:3: stack overflow
