-- Failures of the world return nil, message and the script goes on.
local a = listen(0, "127.0.0.1")
local _, port = a:getsockname()
local b, err = listen(port, "127.0.0.1")
print(b, err == "address already in use: udp port " .. port .. " on 127.0.0.1 (this session holds it: udp{127.0.0.1:" .. port .. "}; sockets() lists the open sockets, s:close() frees one)")
-- The chapter's listen-on-everything form names only the port.
local c = listen(0)
local _, cport = c:getsockname()
print(select(2, listen(cport)) == "address already in use: udp port " .. cport .. " (this session holds it: udp{0.0.0.0:" .. cport .. "}; sockets() lists the open sockets, s:close() frees one)")
print(listen(0, "no-such-host.invalid"))
a:close() c:close()
-- The port is free again once closed.
local again = listen(port, "127.0.0.1")
print(select(2, again:getsockname()) == port)
again:close()
-- A socket no variable holds any more does not keep its port: binding
-- the port again closes it first.
local function forget() local s = listen{port = 0, host = "127.0.0.1", proto = "tcp"} return select(2, s:getsockname()) end
local lost = forget()
local l = listen{port = lost, host = "127.0.0.1", proto = "tcp"}
print(l ~= nil, select(2, l:getsockname()) == lost)
-- Output:
-- nil	true
-- true
-- nil	cannot resolve "no-such-host.invalid": no such host (check the name, or give an IP address)
-- true
-- true	true
