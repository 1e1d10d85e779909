-- A UDP echo server as a sockshell script: every datagram goes back to its
-- sender, until "bye" in any case. usage: sockshell echo.lua PORT
local s = assert(listen(tonumber(arg[1])))
while true do
  local data, ip, port = s:recvfrom(1024)
  if data:lower() == "bye" then break end
  s:sendto(data, ip, port)
end
s:close()
