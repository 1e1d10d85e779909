-- LuaSocket's setfd takes only a descriptor a LuaSocket object of this
-- session opened and that is still open, or -1: never the process's own
-- (stdin, stdout, an inherited file, the Go runtime's), which closing the
-- object would close.
local socket = require "socket"
local t = socket.tcp()
for _, fd in ipairs{0, 1, 2, 3, 6, 9} do
  local ok, err = pcall(t.setfd, t, fd)
  assert(not ok and err:find("descriptor " .. fd .. " is not a socket this session opened", 1, true), err)
end
print("foreign descriptors refused")
-- A descriptor moves from one object to another.
local a = socket.tcp()
assert(a:bind("127.0.0.1", 0))
local fd = a:getfd()
a:setfd(-1)
local b = socket.tcp()
b:setfd(fd)
print(b:getsockname() ~= nil, a:getfd())
-- Two objects share it; once one closes it, the other may not close the
-- number again, which the system may have given to a new socket.
a:setfd(fd)
a:close()
print((select(2, pcall(t.setfd, t, fd)):gsub("descriptor %d+", "descriptor N")))
local c, others = nil, {}
for _ = 1, 50 do -- until the system gives the number again
  local u = socket.udp()
  assert(u:setsockname("127.0.0.1", 0))
  if u:getfd() == fd then c = u break end
  others[#others + 1] = u
end
assert(c, "the number was not given again")
b:close()
print(c:getsockname() ~= nil)
c:close()
for _, u in ipairs(others) do u:close() end
-- Output:
-- foreign descriptors refused
-- true	-1
-- testdata/luasocket_setfd.lua:24: bad argument #1 to 'setfd' (descriptor N is not a socket this session opened)
-- true
