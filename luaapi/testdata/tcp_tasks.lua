-- An echo server with one task per connection serves many clients at once.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local port = select(2, l:getsockname())
local served = 0
spawn(function()
  while true do
    local c = l:accept()
    if not c then return end
    spawn(function()
      while true do
        local line, err = c:receive()
        if not line then break end
        c:send(line:upper() .. "\n")
      end
      c:close()
      served = served + 1
    end)
  end
end)
-- Clients talk in turns, each in a task of its own.
local clients = {}
for i = 1, 5 do
  clients[i] = spawn(function()
    local c = assert(connect("127.0.0.1", port))
    local replies = {}
    for j = 1, 3 do
      c:send("client " .. i .. " line " .. j .. "\n")
      replies[#replies + 1] = c:receive()
      coroutine.yield()
    end
    c:close()
    return table.concat(replies, "|")
  end)
end
for i = 1, 5 do print(clients[i]:wait(5)) end
while served < 5 do sleep(0.001) end
print("served", served)
l:close()
-- Output:
-- CLIENT 1 LINE 1|CLIENT 1 LINE 2|CLIENT 1 LINE 3
-- CLIENT 2 LINE 1|CLIENT 2 LINE 2|CLIENT 2 LINE 3
-- CLIENT 3 LINE 1|CLIENT 3 LINE 2|CLIENT 3 LINE 3
-- CLIENT 4 LINE 1|CLIENT 4 LINE 2|CLIENT 4 LINE 3
-- CLIENT 5 LINE 1|CLIENT 5 LINE 2|CLIENT 5 LINE 3
-- served	5
