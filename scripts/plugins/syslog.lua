-- syslog: send log messages to a syslog server, in RFC 5424 or the older
-- BSD format (RFC 3164), over UDP or TCP (octet-counted framing, RFC 6587).
--
--   local syslog = require "syslog"
--   local log = syslog.new{host = "127.0.0.1", port = 514, app = "probe"}
--   log:log("warning", "disk almost full")
--   syslog.send{host = "127.0.0.1", port = 601, proto = "tcp", message = "one-off"}

local syslog = {}

local FACILITIES = {kern = 0, user = 1, mail = 2, daemon = 3, auth = 4, syslog = 5, lpr = 6, news = 7,
                    uucp = 8, cron = 9, authpriv = 10, ftp = 11}
for i = 0, 7 do FACILITIES["local" .. i] = 16 + i end
local SEVERITIES = {emerg = 0, alert = 1, crit = 2, err = 3, error = 3, warning = 4, warn = 4,
                    notice = 5, info = 6, debug = 7}

-- The names of each, in the order of their numbers, for error messages.
local NAMES = {
  facility = "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0-local7",
  severity = "emerg, alert, crit, err, warning, notice, info, debug",
}

local function code(map, v, what)
  if type(v) == "number" then return v end
  local c = map[v]
  if not c then error("syslog: unknown " .. what .. " '" .. tostring(v) .. "' (" .. NAMES[what] .. ")", 3) end
  return c
end

-- format builds one message as text; opts as for new, plus severity,
-- message and msgid.
function syslog.format(opts)
  local pri = code(FACILITIES, opts.facility or "user", "facility") * 8
            + code(SEVERITIES, opts.severity or "info", "severity")
  local host = opts.hostname or hostinfo().hostname
  local app = opts.app or "sockshell"
  if opts.format == "3164" then
    -- <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG
    local tag = app .. (opts.procid and "[" .. opts.procid .. "]" or "")
    local stamp = ("%s %2d %s"):format(os.date("%b"), tonumber(os.date("%d")), os.date("%H:%M:%S"))
    return ("<%d>%s %s %s: %s"):format(pri, stamp, host, tag, opts.message or "")
  end
  -- <PRI>1 TIMESTAMP HOST APP PROCID MSGID STRUCTURED-DATA MSG, "-" for none
  local function field(v) return v and tostring(v) or "-" end
  return ("<%d>1 %s %s %s %s %s - %s"):format(pri, os.date("!%Y-%m-%dT%H:%M:%SZ"), field(host),
    field(app), field(opts.procid), field(opts.msgid), opts.message or "")
end

local Logger = {}
Logger.__index = Logger

-- new makes a logger; see the describe below.
function syslog.new(opts)
  opts = opts or {}
  local logger = setmetatable({}, Logger)
  for k, v in pairs(opts) do logger[k] = v end
  logger.host, logger.port = opts.host or "127.0.0.1", opts.port or 514
  logger.proto = opts.proto or "udp"
  if logger.proto == "tcp" then
    local c, err = connect(logger.host, logger.port, 5)
    if not c then return nil, err end
    logger.conn = c
  elseif logger.proto == "udp" then
    logger.sock = assert(listen(0, logger.host:find(":") and "::" or "0.0.0.0"))
  else
    error("proto must be \"udp\" or \"tcp\", got " .. tostring(opts.proto), 2)
  end
  return logger
end

-- log sends one message with a severity ("info", "warning", … or 0-7).
function Logger:log(severity, message, msgid)
  local text = syslog.format{facility = self.facility, severity = severity, hostname = self.hostname,
    app = self.app, procid = self.procid, format = self.format, message = message, msgid = msgid}
  if self.conn then
    return self.conn:send(#text .. " " .. text) -- octet counting
  end
  return self.sock:sendto(text, self.host, self.port)
end

function Logger:close()
  if self.conn then self.conn:close() end
  if self.sock then self.sock:close() end
end

-- send sends a single message with a logger made for it.
function syslog.send(opts)
  local logger, err = syslog.new(opts)
  if not logger then return nil, err end
  local ok, serr = logger:log(opts.severity or "info", opts.message or "", opts.msgid)
  logger:close()
  return ok, serr
end

describe{
  name = "syslog.new",
  signature = "syslog.new{host=, port=, proto=, format=, facility=, app=, hostname=, procid=}",
  summary = "Makes a logger: proto \"udp\" (default) or \"tcp\" (octet-counted), format \"5424\" (default) or \"3164\", facility \"user\" (default), \"daemon\", \"local0\"…; logger:log(severity, message [, msgid]) sends, logger:close() ends.",
  example = 'local log = syslog.new{host = "127.0.0.1", port = 514, app = "probe"}; print(log:log("warning", "disk almost full")); log:close()',
  fn = syslog.new,
}
describe{
  name = "syslog.send",
  signature = "syslog.send{host=, port=, proto=, format=, facility=, severity=, app=, message=, msgid=}",
  summary = "Sends one message, as syslog.new and log do.",
  example = 'print(syslog.send{host = "127.0.0.1", port = 514, app = "probe", severity = "err", message = "disk full"})',
  fn = syslog.send,
}
describe{
  name = "syslog.format",
  signature = "syslog.format{format=, facility=, severity=, hostname=, app=, procid=, msgid=, message=}",
  summary = "Builds a message's text without sending it.",
  example = 'print(syslog.format{format = "3164", severity = "notice", hostname = "h", app = "probe", message = "up"})',
  fn = syslog.format,
}

-- What trace shows for syslog traffic: "user.warning probe: disk almost
-- full", from either format (TCP's octet counts are skipped).
local FACILITY_NAMES, SEVERITY_NAMES = {}, {}
for name, n in pairs(FACILITIES) do FACILITY_NAMES[n] = FACILITY_NAMES[n] or name end
for name, n in pairs(SEVERITIES) do
  if name ~= "error" and name ~= "warn" then SEVERITY_NAMES[n] = name end
end
dissector{
  name = "syslog", port = {514, 601},
  decode = function(data)
    local text = data:gsub("^%d+ ", "", 1)
    local pri, rest = text:match("^<(%d+)>(.*)$")
    pri = tonumber(pri)
    if not pri or pri > 191 then return nil end
    local m = {facility = FACILITY_NAMES[math.floor(pri / 8)] or tostring(math.floor(pri / 8)),
               severity = SEVERITY_NAMES[pri % 8]}
    local stamp, host, app, procid, msgid, msg = rest:match("^1 (%S+) (%S+) (%S+) (%S+) (%S+) %S+ ?(.*)$")
    if stamp then
      m.format, m.time, m.hostname, m.app, m.procid, m.msgid, m.message = "5424", stamp, host, app, procid, msgid, msg
    else
      m.format = "3164"
      m.time, m.hostname, m.app, m.message = rest:match("^(%a%a%a [ %d]%d %d%d:%d%d:%d%d) (%S+) ([^:]+): ?(.*)$")
      m.message = m.message or rest
    end
    m.summary = ("%s.%s %s%s"):format(m.facility, m.severity, m.app and m.app ~= "-" and (m.app .. ": ") or "", m.message)
    return m
  end,
}

return syslog
