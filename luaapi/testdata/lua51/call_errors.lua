-- A call of a value that is no function: the type of the value when no
-- name tells it, and a generic for's call at the line where its
-- expressions end.
local function lineerror(s)
  local _, msg = pcall(loadstring(s))
  return msg
end
print(lineerror("local a\n for i=1,'a' do \n print(i) \n end"))
print(lineerror("\n local a \n for k,v in 3 \n do \n print(k) \n end"))
print(lineerror("\n\n for k,v in \n 3 \n do \n print(k) \n end"))
print(lineerror("function a.x.y ()\na=a+1\nend"))
print(pcall(function() for k in 3 do end end))
print(pcall(function() local t = setmetatable({}, {__call = 1}); t() end))
-- A numeric for's expressions are named by what they read, not by the
-- loop's hidden variables.
local t = {}
print(pcall(function() for i = t.nofunc(), 2 do end end))
print(pcall(function() for i = 1, t.nofunc() do end end))
print(pcall(function() for i = 1, 2, nofunc() do end end))
-- Output:
-- [string "local a..."]:2: 'for' limit must be a number
-- [string "..."]:3: attempt to call a number value
-- [string "..."]:4: attempt to call a number value
-- [string "function a.x.y ()..."]:1: attempt to index global 'a' (a nil value)
-- false	testdata/lua51/call_errors.lua:12: attempt to call a number value
-- false	testdata/lua51/call_errors.lua:13: attempt to call local 't' (a table value)
-- false	testdata/lua51/call_errors.lua:17: attempt to call field 'nofunc' (a nil value)
-- false	testdata/lua51/call_errors.lua:18: attempt to call field 'nofunc' (a nil value)
-- false	testdata/lua51/call_errors.lua:19: attempt to call global 'nofunc' (a nil value)
