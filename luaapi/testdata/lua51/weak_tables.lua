-- Weak tables (__mode): what only weak tables hold is gone after a
-- collection; strings, numbers and booleans are values, never collected;
-- a weak table is otherwise a table.
local lim = 50
local a = setmetatable({}, {__mode = "k"})
for i = 1, lim do a[{}] = i end
for i = 1, lim do local t = {} a[t] = t end
for i = 1, lim do a[i] = i end
for i = 1, lim do local s = string.rep("@", i) a[s] = s .. "#" end
collectgarbage()
local n = 0
for k, v in pairs(a) do assert(k == v or k .. "#" == v) n = n + 1 end
print("weak keys", n)

a = setmetatable({}, {__mode = "v"})
a[1] = string.rep("b", 21)
collectgarbage()
print("a string stays", a[1] ~= nil)
a[1] = nil
for i = 1, lim do a[i] = {} end
for i = 1, lim do a[i .. "x"] = {} end
for i = 1, lim do local t = {} a[t] = t end
for i = 1, lim do a[i + lim] = i .. "x" end
collectgarbage()
n = 0
for k, v in pairs(a) do assert(k == v or k - lim .. "x" == v) n = n + 1 end
print("weak values", n)

a = setmetatable({}, {__mode = "vk"})
local x, y, z = {}, {}, {}
a[1], a[2], a[3] = x, y, z
a[string.rep("$", 11)] = string.rep("$", 11)
for i = 4, lim do a[i] = {} end
for i = 1, lim do a[{}] = i end
for i = 1, lim do local t = {} a[t] = t end
collectgarbage()
n = 0
for k, v in pairs(a) do
  assert((k == 1 and v == x) or (k == 2 and v == y) or (k == 3 and v == z) or k == v)
  n = n + 1
end
print("both", n)
x, y, z = nil
collectgarbage()
print(next(a))

-- A cache keyed by objects forgets them; functions and coroutines too.
local cache = setmetatable({}, {__mode = "k"})
local kept = {}
cache[kept] = "kept"
for i = 1, 100 do cache[{}] = i cache[function() return i end] = i cache[coroutine.create(function() end)] = i end
collectgarbage()
n = 0 for _ in pairs(cache) do n = n + 1 end
print("cache", n, cache[kept])

-- Still a table: rawget, rawset, insert, remove, ipairs, concat, sort.
local list = setmetatable({}, {__mode = "v"})
for i = 1, 5 do list[i] = i * 10 end
table.insert(list, 1, 5) table.insert(list, 60) print(table.remove(list, 2), #list, table.concat(list, " "))
table.sort(list, function(p, q) return p > q end) print(table.concat(list, " "), rawget(list, 1), list[6])
rawset(list, 7, kept) print(rawget(list, 7) == kept, select("#", ipairs(list)))
-- Setting the metatable again with no __mode makes the table strong.
setmetatable(list, nil) list[8] = {} collectgarbage() print(type(list[8]))
-- Output:
-- weak keys	150
-- a string stays	true
-- weak values	100
-- both	4
-- $$$$$$$$$$$	$$$$$$$$$$$
-- cache	1	kept
-- 10	6	5 20 30 40 50 60
-- 60 50 40 30 20 5	60	5
-- true	3
-- table
