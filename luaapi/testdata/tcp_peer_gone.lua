-- A send after the peer has gone says "closed", as LuaSocket does.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
peer:close()
local n, err
for _ = 1, 100 do -- the first sends may still go out before the reset comes back
  n, err = c:send("x")
  if not n then break end
  sleep(0.001)
end
print(n, err)
print(c:receive())
-- Output:
-- nil	closed
-- nil	closed	
