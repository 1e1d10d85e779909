-- Datagrams from different senders each come with their own address.
local s = listen(0, "::")
local port = select(2, s:getsockname())
for _, host in ipairs{"127.0.0.1", "::1", "::1", "127.0.0.1"} do
  sendto("x", host, port)
  print((select(2, s:recvfrom(100, 5))))
end
-- Output:
-- 127.0.0.1
-- ::1
-- ::1
-- 127.0.0.1
