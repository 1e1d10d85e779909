-- Lines as Lua 5.1 reads them: a line ends at "\n" alone ("\r" stays),
-- and a long line comes whole, whether read by read("*l"), f:lines() or
-- io.lines(path).
local name = os.tmpname()
local f = assert(io.open(name, "w"))
f:write("ab\r\n", string.rep("x", 10000), "\n", "\n", "last")
f:close()
f = assert(io.open(name))
print(#f:read("*l"), #f:read("*l"), #f:read("*l"), f:read("*l"), f:read("*l"))
f:close()
for l in io.lines(name) do io.write(#l, " ") end print()
f = assert(io.open(name))
for l in f:lines() do io.write(#l, " ") end print()
f:close()
f = assert(io.open(name))
print(#f:read(5000), #f:read("*a"), f:read("*a"), f:read(1), f:read(0))
f:close()
os.remove(name)
-- Output:
-- 3	10000	0	last	nil
-- 3 10000 0 4 
-- 3 10000 0 4 
-- 5000	5010		nil	nil
