-- dns: a DNS client in Lua (RFC 1035), built from pack/unpack and sockets.
--
--   local dns = require "dns"
--   local answers = dns.query("example.test", "MX", "127.0.0.1:5353")
--   for _, a in ipairs(answers) do print(a.name, a.ttl, a.type, a.data) end
--
--   :dig example.test MX @127.0.0.1:5353        at the prompt
--
-- Queries go over UDP, are retried when no answer comes, and go again over
-- TCP when the answer was truncated. Answers carry their data as text: an
-- address ("192.0.2.1"), a name ("host.example."), "10 mail.example." for
-- MX, the text itself for TXT.

local dns = {
  timeout = 2,   -- seconds to wait for each UDP answer
  retries = 2,   -- more tries after the first
}

local TYPES = {A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28, SRV = 33, ANY = 255}
local TYPENAMES = {}
for name, code in pairs(TYPES) do TYPENAMES[code] = name end
local RCODES = {[1] = "format error", [2] = "server failure", [3] = "no such name (NXDOMAIN)",
                [4] = "not implemented", [5] = "refused"}

-- encodename writes a name as DNS labels: "www.example.test" becomes
-- "\3www\7example\4test\0".
function dns.encodename(name)
  local out = {}
  for label in name:gmatch("[^.]+") do
    if #label > 63 then error("label longer than 63 bytes: " .. label, 2) end
    out[#out + 1] = pack("s1", label)
  end
  out[#out + 1] = "\0"
  return table.concat(out)
end

-- need raises unless n bytes from pos are in msg: what runs past the end.
local function need(msg, pos, n, what)
  if pos + n - 1 > #msg then error(what .. " runs past the end of the message", 0) end
end

-- decodename reads a name at pos, following compression pointers
-- (RFC 1035 4.1.4); it returns the name, ending in ".", and the position
-- after it in the message.
function dns.decodename(msg, pos)
  local labels, after = {}, nil
  for _ = 1, 128 do -- a message cannot hold more labels; a pointer loop ends here
    local len = msg:byte(pos)
    if not len then error("name runs past the end of the message", 0) end
    if len == 0 then
      return table.concat(labels, ".") .. ".", after or pos + 1
    elseif len >= 0xC0 then
      need(msg, pos, 2, "name")
      after = after or pos + 2
      pos = bit32.band(unpack(">I2", msg, pos), 0x3FFF) + 1
    elseif len > 63 then
      error(("label length %d (the most is 63)"):format(len), 0)
    else
      need(msg, pos + 1, len, "name")
      labels[#labels + 1] = msg:sub(pos + 1, pos + len)
      pos = pos + 1 + len
    end
  end
  error("too many labels or a loop of compression pointers", 0)
end

-- ipv6 writes 16 bytes as an IPv6 address, the longest run of zeros as "::".
local function ipv6(b)
  local groups = {unpack(">I2 I2 I2 I2 I2 I2 I2 I2", b)}
  local best, bestlen, run, runlen = 0, 0, 0, 0
  for i = 1, 8 do
    if groups[i] == 0 then
      if runlen == 0 then run = i end
      runlen = runlen + 1
      if runlen > bestlen then best, bestlen = run, runlen end
    else
      runlen = 0
    end
  end
  local out = {}
  for i = 1, 8 do out[i] = ("%x"):format(groups[i]) end
  if bestlen < 2 then return table.concat(out, ":") end
  local left = table.concat(out, ":", 1, best - 1)
  local right = table.concat(out, ":", best + bestlen, 8)
  return left .. "::" .. right
end

-- rdata turns a record's data into text. The record is the message's
-- bytes pos to pos+len-1, which parse has checked are there; what a record
-- of its type needs beyond that is checked here.
local function rdata(msg, rtype, pos, len)
  local raw = msg:sub(pos, pos + len - 1)
  local function atleast(n, name)
    if len < n then error(("%s record of %d bytes (it needs %d)"):format(name, len, n), 0) end
  end
  if rtype == TYPES.A and len == 4 then
    return table.concat({raw:byte(1, 4)}, ".")
  elseif rtype == TYPES.AAAA and len == 16 then
    return ipv6(raw)
  elseif rtype == TYPES.CNAME or rtype == TYPES.NS or rtype == TYPES.PTR then
    atleast(1, TYPENAMES[rtype])
    return (dns.decodename(msg, pos))
  elseif rtype == TYPES.MX then
    atleast(3, "MX")
    return unpack(">I2", msg, pos) .. " " .. dns.decodename(msg, pos + 2)
  elseif rtype == TYPES.TXT then
    local parts, p = {}, 1
    while p <= #raw do
      if p + raw:byte(p) > #raw then error("TXT string runs past its record", 0) end
      parts[#parts + 1], p = unpack("s1", raw, p)
    end
    return table.concat(parts)
  elseif rtype == TYPES.SRV then
    atleast(7, "SRV")
    local prio, weight, port = unpack(">I2 I2 I2", msg, pos)
    return ("%d %d %d %s"):format(prio, weight, port, dns.decodename(msg, pos + 6))
  elseif rtype == TYPES.SOA then
    atleast(22, "SOA")
    local mname, p = dns.decodename(msg, pos)
    local rname
    rname, p = dns.decodename(msg, p)
    if p + 19 > pos + len - 1 then error("SOA record too short for its names and numbers", 0) end
    return ("%s %s %d %d %d %d %d"):format(mname, rname, unpack(">I4 I4 I4 I4 I4", msg, p))
  end
  return tohex(raw)
end

-- encode builds a query message for name and a record type.
function dns.encode(id, name, qtype)
  return pack(">I2 I2 I2 I2 I2 I2", id, 0x0100, 1, 0, 0, 0) -- recursion desired, one question
      .. dns.encodename(name) .. pack(">I2 I2", qtype, 1)
end

-- parse reads a whole message into a table: id, flags, rcode, tc, and the
-- lists questions, answers, authority and additional. A malformed message
-- raises, saying what is wrong with it.
function dns.parse(msg)
  if type(msg) ~= "string" then error("bad argument #1 to 'dns.parse' (string expected, got " .. type(msg) .. ")", 2) end
  if #msg < 12 then error(("%d bytes, shorter than a DNS header (12)"):format(#msg), 0) end
  local id, flags, qd, an, ns, ar, pos = unpack(">I2 I2 I2 I2 I2 I2", msg)
  local m = {id = id, flags = flags, rcode = bit32.band(flags, 0xF),
             qr = bit32.btest(flags, 0x8000), aa = bit32.btest(flags, 0x0400),
             tc = bit32.btest(flags, 0x0200), rd = bit32.btest(flags, 0x0100), ra = bit32.btest(flags, 0x0080),
             questions = {}, answers = {}, authority = {}, additional = {}}
  for _ = 1, qd do
    local name
    name, pos = dns.decodename(msg, pos)
    need(msg, pos, 4, "question")
    local qtype, qclass
    qtype, qclass, pos = unpack(">I2 I2", msg, pos)
    m.questions[#m.questions + 1] = {name = name, type = TYPENAMES[qtype] or qtype, class = qclass}
  end
  for _, section in ipairs{{an, m.answers}, {ns, m.authority}, {ar, m.additional}} do
    for _ = 1, section[1] do
      local name, rtype, class, ttl, len
      name, pos = dns.decodename(msg, pos)
      need(msg, pos, 10, "record")
      rtype, class, ttl, len, pos = unpack(">I2 I2 I4 I2", msg, pos)
      need(msg, pos, len, "record")
      section[2][#section[2] + 1] = {name = name, type = TYPENAMES[rtype] or rtype, class = class,
                                     ttl = ttl, data = rdata(msg, rtype, pos, len)}
      pos = pos + len
    end
  end
  return m
end

-- server reads "host", "host:port" or "[v6]:port".
local function server(s)
  if not s then
    local f = io.open("/etc/resolv.conf")
    if f then
      for line in f:lines() do
        local ns = line:match("^%s*nameserver%s+(%S+)")
        if ns then f:close() return ns, 53 end
      end
      f:close()
    end
    return "127.0.0.1", 53
  end
  local host, port = s:match("^%[(.+)%]:(%d+)$")
  if not host then host, port = s:match("^([^:]+):(%d+)$") end
  if host then return host, tonumber(port) end
  return s, 53
end

-- reverse turns an IPv4 address into its in-addr.arpa name for PTR.
function dns.reverse(ip)
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return ip end
  return ("%s.%s.%s.%s.in-addr.arpa"):format(d, c, b, a)
end

-- reply reads data as the reply to the query q ({id=, name=, code=}): the
-- parsed message; nil when it is not the reply (another ID, not a
-- response, about another question), as resolvers ignore such datagrams
-- rather than be fooled by them; or false and what is wrong with it.
local function reply(data, q)
  if #data < 2 or unpack(">I2", data) ~= q.id then return nil end
  local ok, m = pcall(dns.parse, data)
  if not ok then return false, (tostring(m):gsub("^[^\n]-:%d+: ", "")) end
  local asked = m.questions[1]
  if not m.qr or #m.questions ~= 1 or asked.class ~= 1 or asked.type ~= (TYPENAMES[q.code] or q.code)
      or asked.name:lower() ~= q.name:lower() then
    return nil
  end
  return m
end

-- isaddress tells an IP address from a name.
local function isaddress(host)
  return host:match("^[%d.]+$") or host:find(":")
end

-- exchange sends the query over UDP, retrying, and over TCP if the answer
-- was truncated; it returns the parsed reply. Only a datagram from the
-- server asked, with the query's ID and question, is the reply.
local function exchange(query, q, host, port)
  local family = host:find(":") and "::" or "0.0.0.0"
  local s = assert(listen(0, family))
  local answer, err
  for _ = 0, dns.retries do
    local ok
    ok, err = s:sendto(query, host, port)
    if not ok then break end
    local deadline = now() + dns.timeout
    repeat
      local data, ip, from = s:recvfrom(65535, math.max(deadline - now(), 0))
      if not data then err = ip break end
      if from == port and (ip == host or not isaddress(host)) then
        local m, bad = reply(data, q)
        if m then answer = m break end
        if m == false then s:close() return nil, "malformed answer: " .. bad end
      end
    until now() >= deadline
    if answer then break end
  end
  s:close()
  if err == "timeout" then
    err = ("timeout: no answer from %s after %d tries of %gs (is a DNS server running there?)")
      :format(host:find(":") and "[" .. host .. "]:" .. port or host .. ":" .. port, dns.retries + 1, dns.timeout)
  end
  if not answer then return nil, err end
  if answer.tc then
    -- Truncated: ask again over TCP, where a message is preceded by its length.
    local c, cerr = connect(host, port, dns.timeout)
    if not c then return nil, cerr end
    c:settimeout(dns.timeout)
    local sent, serr = c:send(pack(">s2", query))
    if not sent then c:close() return nil, serr end
    local len, lerr = c:receive(2)
    if not len then c:close() return nil, lerr end
    local data, derr = c:receive(unpack(">I2", len))
    c:close()
    if not data then return nil, derr end
    local m, bad = reply(data, q)
    if not m then return nil, "malformed answer: " .. (bad or "not the reply to the query (over TCP)") end
    answer = m
  end
  return answer
end

-- query asks server about name; see the describe below.
function dns.query(name, qtype, srv)
  if type(name) ~= "string" then error("bad argument #1 to 'dns.query' (name must be a string)", 2) end
  qtype = qtype or "A"
  local code = TYPES[tostring(qtype):upper()] or tonumber(qtype)
  if not code then error("bad argument #2 to 'dns.query' (unknown record type '" .. tostring(qtype) .. "')", 2) end
  if code == TYPES.PTR then name = dns.reverse(name) end
  -- Special-use names (RFC 6761) are answered here, without a query to
  -- any server: nothing under .invalid exists, and a name under
  -- .localhost is the loopback address.
  local lower = name:lower():gsub("%.$", "")
  if lower == "invalid" or lower:match("%.invalid$") or lower:match("%.localhost$") then
    local qname = name:sub(-1) == "." and name or name .. "."
    local msg = {id = 0, rcode = 0, qr = true, questions = {{name = qname, type = TYPENAMES[code] or code, class = 1}},
                 answers = {}, authority = {}, additional = {}}
    local loop = lower:match("%.localhost$") and ({[TYPES.A] = "127.0.0.1", [TYPES.AAAA] = "::1"})[code]
    if loop then
      msg.answers[1] = {name = qname, type = TYPENAMES[code], class = 1, ttl = 0, data = loop}
      return msg.answers, msg
    end
    if not lower:match("%.localhost$") then
      msg.rcode = 3
      return nil, RCODES[3] .. ": " .. name, msg
    end
    return msg.answers, msg
  end
  local host, port = server(srv)
  local id = math.random(0, 65535)
  local q = {id = id, code = code, name = name:sub(-1) == "." and name or name .. "."}
  local msg, err = exchange(dns.encode(id, name, code), q, host, port)
  if not msg then return nil, err end
  if msg.rcode ~= 0 then
    return nil, (RCODES[msg.rcode] or "error " .. msg.rcode) .. ": " .. name, msg
  end
  return msg.answers, msg
end

describe{
  name = "dns.query",
  signature = "dns.query(name [, type [, server]])",
  summary = "Asks a DNS server about name (over UDP, retried; over TCP when truncated). type is \"A\" (the default), \"AAAA\", \"CNAME\", \"MX\", \"TXT\", \"PTR\" (an IPv4 address is reversed for you), \"NS\", \"SOA\", \"SRV\" or a number; server is \"host\", \"host:port\" or \"[v6]:port\", by default the first nameserver of /etc/resolv.conf. Returns a list of answers {name=, type=, ttl=, data=} and the whole parsed message, or nil and a message.",
  example = 'for _, a in ipairs(dns.query("example.test", "MX", "127.0.0.1:5353") or {}) do print(a.data) end',
  fn = dns.query,
}
describe{
  name = "dns.parse",
  signature = "dns.parse(message)",
  summary = "Parses a DNS message (binary) into {id=, flags=, rcode=, tc=, questions=, answers=, authority=, additional=}.",
  example = 'local m = dns.parse(dns.encode(0x1234, "www.example.test", 1)); print(m.id, m.questions[1].name, m.questions[1].type)',
  fn = dns.parse,
}
describe{
  name = "dns.encode",
  signature = "dns.encode(id, name, typecode)",
  summary = "Builds a query message: recursion desired, one question of class IN.",
  example = 'io.write(hexdump(dns.encode(1, "a.test", 1)))',
  fn = dns.encode,
}

command{
  name = "dig",
  help = "dig NAME [TYPE] [@SERVER]: ask a DNS server, as dig does",
  run = function(args)
    local name, qtype, srv
    for _, a in ipairs(args) do
      if a:sub(1, 1) == "@" then srv = a:sub(2)
      elseif not name then name = a
      else qtype = a end
    end
    if not name then print("usage: :dig NAME [TYPE] [@SERVER]") return end
    local answers, err = dns.query(name, qtype, srv)
    if not answers then print(";; " .. err) return end
    if #answers == 0 then print(";; no answer") end
    for _, a in ipairs(answers) do
      print(("%-30s %-6d IN %-6s %s"):format(a.name, a.ttl, a.type, a.data))
    end
  end,
}

-- What trace shows for DNS traffic: "query A www.example.test. id=4660",
-- "answer A www.example.test. id=4660: 192.0.2.10", "answer … NXDOMAIN".
dissector{
  name = "dns", port = 53, proto = "udp",
  decode = function(data)
    local ok, m = pcall(dns.parse, data)
    if not ok then return nil end
    local q = m.questions[1] or {}
    local head = ("%s %s %s id=%d"):format(m.qr and "answer" or "query", tostring(q.type or "?"), q.name or "?", m.id)
    if not m.qr then
      m.summary = head
    elseif m.rcode ~= 0 then
      m.summary = head .. " " .. (RCODES[m.rcode] or ("rcode " .. m.rcode))
    else
      local data = {}
      for _, a in ipairs(m.answers) do data[#data + 1] = tostring(a.data) end
      m.summary = head .. ": " .. (#data > 0 and table.concat(data, ", ") or "no answer")
    end
    return m
  end,
}

return dns
