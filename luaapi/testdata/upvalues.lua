-- An error that unwinds a function closes its upvalues, as Lua 5.1 does:
-- closures made there keep their variables (gopher-lua left them pointing
-- at cleared registers: issue #448 upstream).
local a
function use() return a end
pcall(function() error("x") end)
a = 5
print(use())
local ok = pcall(function() local x = "kept"; f = function() return x end; error("fail") end)
local junk1, junk2, junk3 = 1, 2, 3
print(ok, f())
local co = coroutine.create(function() local y = "co"; g = function() return y end; error("in co") end)
print((coroutine.resume(co)))
local z1, z2 = "a", "b"
print(g())
-- A task handed a closure by a function that then fails.
local t
pcall(function()
  local s = listen(0, "127.0.0.1")
  t = spawn(function() return tostring(s):match("^udp") end)
  error("after spawn")
end)
local w1, w2, w3 = {}, {}, {}
print(t:wait())
-- Output:
-- 5
-- false	kept
-- false
-- co
-- udp
