-- Where a task cannot yield, a blocking call says so instead of corrupting
-- the task; the task goes on.
local cases = {
  sort = function() table.sort({3, 1, 2}, function(a, b) sleep(0) return a < b end) end,
  metamethod = function() return setmetatable({}, {__index = function() sleep(0) end}).x end,
  gsub = function() return ("a"):gsub("a", function() sleep(0) end) end,
  require = function() package.preload.blocking = function() sleep(0) end return require "blocking" end,
}
for _, name in ipairs{"sort", "metamethod", "gsub", "require"} do
  local t = spawn(function()
    local ok, err = pcall(cases[name])
    return ok, err:match("sleep cannot wait here") ~= nil, "went on"
  end)
  print(name, t:wait())
end
-- Outside tasks the same calls simply block, as any call does.
table.sort({3, 1, 2}, function(a, b) sleep(0) return a < b end)
print(("a"):gsub("a", function() sleep(0) return "b" end))
-- Output:
-- sort	false	true	went on
-- metamethod	false	true	went on
-- gsub	false	true	went on
-- require	false	true	went on
-- b	1
