-- A stream's receive takes lines of at most maxline bytes (65536 unless
-- set): a peer that sends no line end cannot fill memory. And a send with
-- timeout 0 sends what fits and waits for nothing.
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local peer = l:accept()
print(peer:getoption("maxline"))
spawn(function() c:send(string.rep("x", 200000)) c:send("\nshort\n") end)
local line, err, partial = peer:receive()
print(line, err, #partial >= 65536 and #partial < 200000)
-- The rest of the long line, then the next, are still there.
local total = #partial
while true do
  local rest, e, p = peer:receive()
  if rest then total = total + #rest break end
  total = total + #p
end
print(total, peer:receive())
peer:setoption("maxline", 10)
c:send("0123456789\n01234567890\n")
print(peer:receive())
print(peer:receive())
peer:setoption("maxline", 0)
c:send(string.rep("y", 300000) .. "\n")
print(#peer:receive())
print(pcall(peer.setoption, peer, "maxline", -1))
-- send(data, 0): what fits goes, and it says how much.
c:setoption("sndbuf", 4096)
local big = string.rep("z", 4 * 1024 * 1024)
local sent, serr, n = c:send(big, 0)
print(sent, serr, n > 0 and n < #big)
c:close() peer:close() l:close()
-- Output:
-- 65536
-- nil	line too long	true
-- 200000	short
-- 0123456789
-- nil	line too long	01234567890
-- 300000
-- false	testdata/tcp_limits.lua:26: bad argument #2 to 'setoption' (maxline must be 0-1073741824, got -1)
-- nil	timeout	true
