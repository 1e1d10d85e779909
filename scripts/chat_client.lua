-- chat_client.lua [host] [port]: joins the chat room of chat_server.lua.
--
-- Lines typed go to the room; lines from the room are printed as they
-- come. Two tasks do it side by side: one reads the keyboard, one the
-- server. End with Ctrl-D.

local host, port = arg[1] or "127.0.0.1", tonumber(arg[2]) or 5000

local conn, err = connect(host, port, 5)
if not conn then
  io.stderr:write("chat_client: ", err, "\n")
  os.exit(1)
end

local listener = spawn(function()
  while true do
    local line = conn:receive()
    if not line then break end
    print(line)
  end
  print("* the server closed the room")
  os.exit(0)
end)

for line in io.lines() do
  conn:send(line .. "\n")
end
conn:close()
listener:cancel()
