-- io.read and io.lines read the default input file, which io.input sets:
-- io.stdin until a name or a file replaces it.
local name = os.tmpname()
local w = assert(io.open(name, "w"))
w:write("line1\nline2\n3 4\n") w:close()
print(io.input() == io.stdin, io.type(io.input()))
local f = assert(io.open(name))
print(io.input(f) == f, io.input() == f)
print(io.read())
print(io.read("*l"))
print(io.read("*n", "*n"))
print(io.read())
print(io.input(io.stdin) == io.stdin, io.input() == io.stdin)
print(io.input(name) ~= io.stdin, io.read("*a"))
io.input(name)
for l in io.lines() do io.write("[", l, "]") end print()
print(io.type(io.input()), io.read())
local it = io.lines() print(it())
print(pcall(io.input, {}))
print(pcall(io.input, name .. ".none") == false)
f:close() io.input():close() os.remove(name)
-- Output:
-- true	file
-- true	true
-- line1
-- line2
-- 3	4
--
-- true	true
-- true	line1
-- line2
-- 3 4
--
-- [line1][line2][3 4]
-- file	nil
--
-- false	bad argument #1 to '?' (FILE* expected, got table)
-- true
