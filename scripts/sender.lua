-- sender.lua <message> [host] [port]: the chapter's UDP sender.
--
-- Sends one datagram holding the message to host (127.0.0.1 unless given)
-- on port (5000 unless given). UDP does not wait for an answer: sending
-- succeeds even when nothing listens.
--
--   sockshell scripts/sender.lua hello
--   sockshell scripts/sender.lua bye 127.0.0.1 6000

local message, host, port = arg[1], arg[2] or "127.0.0.1", tonumber(arg[3]) or 5000
if not message then
  -- arg[0] is the script as it was named: sender, or scripts/sender.lua.
  io.stderr:write("usage: sockshell ", arg[0] or "sender", " <message> [host] [port]\n")
  os.exit(2)
end

-- sendto from no socket uses a fresh one on a free port, as the chapter's
-- sender does with a new socket.socket(AF_INET, SOCK_DGRAM).
local sent, err = sendto(message, host, port)
if not sent then
  io.stderr:write("sender: ", err, "\n")
  os.exit(1)
end
