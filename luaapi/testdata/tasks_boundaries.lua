-- A blocking call works wherever Lua code runs, in a task or not: inside
-- pcall and xpcall, a metamethod, a table.sort comparator, a gsub callback,
-- a module's top level during require, a coroutine, and at the end of a
-- deep tail recursion. Other tasks run while it waits.
local ticks = 0
local ticker = spawn(function() while true do ticks = ticks + 1 sleep(0) end end)
local cases = {
  pcall = function() return select(2, pcall(function() sleep(0.001) return "inside" end)) end,
  xpcall = function()
    return select(2, xpcall(function() sleep(0.001) error("late", 0) end, function(m) return "handled " .. m end))
  end,
  sort = function()
    local t = {3, 1, 2}
    table.sort(t, function(a, b) sleep(0) return a < b end)
    return table.concat(t, ",")
  end,
  metamethod = function()
    local lazy = setmetatable({}, {__index = function(_, k) sleep(0.001) return k .. "!" end})
    return lazy.fetched
  end,
  gsub = function() return (("abc"):gsub("%a", function(c) sleep(0) return c:upper() end)) end,
  require = function()
    package.preload.slowplugin = function() sleep(0.001) return {loaded = "yes"} end
    return require("slowplugin").loaded
  end,
  coroutine = function()
    local co = coroutine.wrap(function() sleep(0.001) coroutine.yield("first") sleep(0) return "second" end)
    return co() .. " " .. co()
  end,
  tail = function()
    local function down(n) if n == 0 then sleep(0.001) return "bottom" end return down(n - 1) end
    return down(1000000)
  end,
}
local names = {"pcall", "xpcall", "sort", "metamethod", "gsub", "require", "coroutine", "tail"}
for _, name in ipairs(names) do
  package.loaded.slowplugin = nil
  print(name, spawn(cases[name]):wait())
  package.loaded.slowplugin = nil
  print(name, cases[name]())
end
print(ticks > 0, ticker:cancel())
-- return coroutine.yield(...) in tail position, gopher-lua's weak spot.
local co = coroutine.create(function(a)
  local x = coroutine.yield(a + 1)
  return coroutine.yield(x * 2)
end)
print(coroutine.resume(co, 1))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, "last"))
print(coroutine.status(co))
-- Output:
-- pcall	inside
-- pcall	inside
-- xpcall	handled late
-- xpcall	handled late
-- sort	1,2,3
-- sort	1,2,3
-- metamethod	fetched!
-- metamethod	fetched!
-- gsub	ABC
-- gsub	ABC
-- require	yes
-- require	yes
-- coroutine	first second
-- coroutine	first second
-- tail	bottom
-- tail	bottom
-- true	true
-- true	2
-- true	20
-- true	last
-- dead
