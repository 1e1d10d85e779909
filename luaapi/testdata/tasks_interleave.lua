-- Tasks take turns: each coroutine.yield() gives way to the others.
local log = {}
local function worker(name, n)
  for i = 1, n do
    log[#log + 1] = name .. i
    coroutine.yield()
  end
  return name, n
end
local a, b = spawn(worker, "a", 3), spawn(worker, "b", 2)
print(a.status, a.id, b.id)
print(a:wait())
print(b:wait())
print(table.concat(log, " "))
print(a.status, #tasks())
-- Output:
-- ready	1	2
-- a	3
-- b	2
-- a1 b1 a2 b2 a3
-- done	0
