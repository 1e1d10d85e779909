-- The io library's failures and file types read as C Lua's: the path and
-- the C library's words, the error number; the standard files are files.
print(io.open("/nonexistent/x", "r"))
print(io.open("/", "w"))
print(select(2, pcall(io.lines, "/nonexistent/y")))
print(io.type(io.stdout), io.type(io.stderr), io.type(io.stdin), io.type(42))
local f = io.open("testdata/lua51_io.lua")
print(io.type(f))
f:close()
print(io.type(f))
-- Output:
-- nil	/nonexistent/x: No such file or directory	2
-- nil	/: Is a directory	21
-- testdata/lua51_io.lua:5: bad argument #1 to 'lines' (/nonexistent/y: No such file or directory)
-- file	file	file	nil
-- file
-- closed file
