-- Everything Lua writes goes to the session's writer.
print("a", 1, nil, true, 2.5)
io.write("b", 2, "\n")
io.stdout:write("c"):write("\n")
io.stderr:write("d\n")
print(io.stdout, io.stderr, io.output() == io.stdout)
print(setmetatable({}, {__tostring = function() return "custom" end}))
print(io.stdout:close())
print(pcall(io.write, {}))
-- Output:
-- a	1	nil	true	2.5
-- b2
-- c
-- d
-- file (stdout)	file (stderr)	true
-- custom
-- nil	cannot close standard file
-- false	testdata/output.lua:9: bad argument #1 to 'write' (string expected, got table)
