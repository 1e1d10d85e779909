-- Deep recursion and big multiple results work within the session's limits.
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(15000))
local function tail(n) if n == 0 then return "done" end return tail(n - 1) end
print(tail(15000))
print(select("#", string.byte(string.rep("x", 65535), 1, -1)))
print(pcall(depth, 1e6))
-- Output:
-- 15000
-- done
-- 65535
-- false	lua callstack overflow
