local function inner() local t = nil; return t.field end
print("start")
inner()
-- Output:
-- start
-- Error: ^testdata/runtime_error.lua:1: attempt to index
