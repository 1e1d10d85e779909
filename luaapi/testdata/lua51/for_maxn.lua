-- A numeric for takes numerals in strings, as Lua 5.1 converts them;
-- table.maxn is the largest positive number among all the keys.
for i = "10", "1", "-3" do io.write(i, " ") end print()
print(pcall(function() for i = 1, {} do end end))
print(pcall(function() for i = 1, 2, "x" do end end))
print(pcall(function() for i = "a", 2 do end end))
print(table.maxn{}, table.maxn{["1000"] = true}, table.maxn{["1000"] = true, [24.5] = 3})
print(table.maxn{[1000] = true}, table.maxn{10, 20, nil, 40}, table.maxn{[-5] = 1, [0] = 2})
-- Output:
-- 10 7 4 1 
-- false	testdata/lua51/for_maxn.lua:4: 'for' limit must be a number
-- false	testdata/lua51/for_maxn.lua:5: 'for' step must be a number
-- false	testdata/lua51/for_maxn.lua:6: 'for' initial value must be a number
-- 0	0	24.5
-- 1000	4	0
