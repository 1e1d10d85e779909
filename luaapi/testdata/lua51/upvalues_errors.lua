-- An error caught by pcall leaves the upvalues of the frames below the
-- pcall open: closures keep sharing the live variable.
local k = 0
local function bump() k = k + 1 end
pcall(error, "e"); pcall(error, "e"); bump(); print(k)
bump(); k = k + 10; bump(); print(k)
local e = "a"
local function g() return e end
pcall(function() pcall(error, "i") error("o") end)
e = "b"; print(g())
local n = 0
local function count() n = n + 1 end
print(pcall(function() return nil + 1 end) == false, pcall(string.rep) == false)
print(pcall(error, {}) == false, select("#", xpcall(error, function(m) return m end)))
count(); n = n * 2; count(); print(n)
-- The frames the error unwinds have their upvalues closed: a closure made
-- there keeps its own copy of the variable.
local fs = {}
print(pcall(function()
  local x = 1
  fs[1] = function() x = x + 1 return x end
  fs[2] = function() return x end
  error("boom", 0)
end))
print(fs[1](), fs[1](), fs[2]())
local co = coroutine.create(function()
  local y = 10
  fs[3] = function() y = y + 1 return y end
  error("in coroutine", 0)
end)
print(coroutine.resume(co))
print(fs[3](), fs[3]())
-- Closures made in a loop each keep their own variable, errors or not.
local acc = {}
for i = 1, 3 do
  pcall(function() local j = i * 10 acc[i] = function() return j end error("x") end)
end
print(acc[1](), acc[2](), acc[3]())
-- Output:
-- 1
-- 13
-- b
-- true	true
-- true	2
-- 3
-- false	boom
-- 2	3	3
-- false	in coroutine
-- 11	12
-- 10	20	30
