-- Failures of the world return nil, message and the script goes on.
local a = listen(0, "127.0.0.1")
local _, port = a:getsockname()
local b, err = listen(port, "127.0.0.1")
print(b, err == "address already in use: udp port " .. port .. " on 127.0.0.1 (another program holds it; listen(0) picks a free port)")
-- The chapter's listen-on-everything form names only the port.
local c = listen(0)
local _, cport = c:getsockname()
print(select(2, listen(cport)) == "address already in use: udp port " .. cport .. " (another program holds it; listen(0) picks a free port)")
print(listen(0, "no-such-host.invalid"))
a:close() c:close()
-- The port is free again once closed.
local again = listen(port, "127.0.0.1")
print(select(2, again:getsockname()) == port)
-- Output:
-- nil	true
-- true
-- nil	cannot resolve "no-such-host.invalid": no such host (check the name, or give an IP address)
-- true
