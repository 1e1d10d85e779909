-- A table constructor of more items than 511 SETLIST blocks hold (25 550)
-- keeps them all; a function with tens of thousands of constants compiles.
local parts = {"return {"}
for i = 1, 30000 do parts[#parts + 1] = '"s' .. i .. '", ' end
parts[#parts + 1] = "}"
local t = assert(loadstring(table.concat(parts)))()
print(#t, t[1], t[25551], t[30000])
-- Output:
-- 30000	s1	s25551	s30000
