package scripts

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/internal/testenv"
	"github.com/sockshell/sockshell/luaapi"
)

// freePort finds a port free for TCP and UDP on loopback.
func freePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// server runs a real server for a test (testenv.Serve).
func server(t testing.TB, ready string, argv ...string) { testenv.Serve(t, ready, argv...) }

// runLua runs src in a session with the built-in plugins; src raises on a
// failed check. It returns what src printed.
func runLua(t *testing.T, src string) string {
	t.Helper()
	var out bytes.Buffer
	s := luaapi.New(luaapi.Options{Stdout: &out, Stderr: &out, Builtin: FS, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	guard := time.AfterFunc(60*time.Second, func() { s.Interrupt() })
	defer guard.Stop()
	if err := s.DoString(src, "test"); err != nil {
		var le *luaapi.Error
		if e, ok := err.(*luaapi.Error); ok {
			le = e
			t.Fatalf("%s\n%s\noutput:\n%s", le.Message, le.Traceback, out.String())
		}
		t.Fatalf("%v\noutput:\n%s", err, out.String())
	}
	return out.String()
}

// startDnsmasq runs a real dnsmasq on a loopback port, answering for
// example.test from its own records only, with hosts (a hosts file's
// lines) and extra options; it returns the port.
func startDnsmasq(t testing.TB, hosts string, extra ...string) int {
	t.Helper()
	dnsmasq := testenv.Need(t, "dnsmasq", "dnsmasq-base")
	dir := t.TempDir()
	hostsFile := filepath.Join(dir, "hosts")
	os.WriteFile(hostsFile, []byte(hosts), 0o644)
	port := freePort(t)
	argv := append([]string{dnsmasq, "--keep-in-foreground", "--no-resolv", "--no-hosts",
		"--bind-interfaces", "--listen-address=127.0.0.1", "--listen-address=::1", fmt.Sprintf("--port=%d", port),
		"--conf-file=/dev/null", "--user=root", "--pid-file=" + filepath.Join(dir, "pid"), "--log-facility=-",
		"--addn-hosts=" + hostsFile, "--local=/example.test/"}, extra...)
	server(t, "started, version", argv...)
	return port
}

// The dns plugin against a real dnsmasq on a loopback port.
func TestDNSPlugin(t *testing.T) {
	long := strings.Repeat("a", 250)
	port := startDnsmasq(t, "192.0.2.10 www.example.test\n2001:db8::10 www.example.test\n",
		"--cname=alias.example.test,www.example.test",
		"--mx-host=example.test,mail.example.test,10",
		"--txt-record=example.test,hello world",
		"--txt-record=big.example.test,"+long+","+long+","+long)
	out := runLua(t, fmt.Sprintf(`
local dns = require "dns"
local srv = "127.0.0.1:%d"
local function only(name, qtype)
  local answers, err = dns.query(name, qtype, srv)
  assert(answers, err)
  return answers[#answers]
end
local a = only("www.example.test")
assert(a.name == "www.example.test." and a.type == "A" and a.data == "192.0.2.10" and a.ttl == 0, a.data)
assert(only("www.example.test", "AAAA").data == "2001:db8::10")
local chain = dns.query("alias.example.test", "A", srv)
assert(chain[1].type == "CNAME" and chain[1].data == "www.example.test." and chain[2].data == "192.0.2.10")
assert(only("example.test", "MX").data == "10 mail.example.test.")
assert(only("example.test", "TXT").data == "hello world")
assert(only("192.0.2.10", "PTR").data == "www.example.test.")
-- More than fits in a UDP answer: the truncated answer is asked again over TCP.
local big = only("big.example.test", "TXT")
assert(#big.data == 750, #big.data)
local none, err, msg = dns.query("nope.example.test", "A", srv)
assert(none == nil and err == "no such name (NXDOMAIN): nope.example.test" and msg.rcode == 3, err)
-- The server over IPv6, in brackets.
local six = assert(dns.query("www.example.test", "A", "[::1]:%d"))
assert(six[1].data == "192.0.2.10")
-- The whole message comes second.
local answers, m = dns.query("www.example.test", "A", srv)
assert(m.id and m.qr and m.questions[1].name == "www.example.test." and #m.answers == 1)
-- Nobody answering: retried, then a timeout.
dns.timeout, dns.retries = 0.2, 1
local gone = listen(0, "127.0.0.1")
local _, deadport = gone:getsockname()
gone:close()
local r, e = dns.query("www.example.test", "A", "127.0.0.1:" .. deadport)
print(r, (e:gsub(":" .. deadport .. " ", ":PORT ")))
-- Mistakes raise, naming the caller's line (a tail call would lose it, as in Lua 5.1).
print(select(2, pcall(function() local r = dns.query("x", "BOGUS", srv) return r end)))
-- Names with compression pointers decode; a pointer loop is an error.
local name = dns.decodename("\3www\7example\0\4mail\192\4", 14)
assert(name == "mail.example.", name)
print(pcall(dns.decodename, "\192\0", 1))
`, port, port))
	want := "nil\ttimeout: no answer from 127.0.0.1:PORT after 2 tries of 0.2s (is a DNS server running there?)\n" +
		"test:36: bad argument #2 to 'dns.query' (unknown record type 'BOGUS')\n" +
		"false\ttoo many labels or a loop of compression pointers\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// The :dig command prints answers as dig does.
func TestDigCommand(t *testing.T) {
	port := startDnsmasq(t, "", "--mx-host=example.test,mail.example.test,10")
	var out bytes.Buffer
	s := luaapi.New(luaapi.Options{Stdout: &out, Builtin: FS, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	if err := s.DoString(`require "dns"`, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.RunCommand(fmt.Sprintf("dig example.test MX @127.0.0.1:%d", port)); err != nil {
		t.Fatal(err)
	}
	if err := s.RunCommand(fmt.Sprintf("dig nope.example.test @127.0.0.1:%d", port)); err != nil {
		t.Fatal(err)
	}
	want := "example.test.                  0      IN MX     10 mail.example.test.\n" +
		";; no such name (NXDOMAIN): nope.example.test\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// The redis plugin against a real redis-server on a loopback port.
func TestRedisPlugin(t *testing.T) {
	redisServer := testenv.Need(t, "redis-server", "redis-server")
	port := freePort(t)
	server(t, "Ready to accept connections", redisServer, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())
	out := runLua(t, fmt.Sprintf(`
local redis = require "sockshell.redis"
local r = assert(redis.connect("127.0.0.1", %d))
assert(r:call("PING") == "PONG")
assert(r:call("SET", "greeting", "hello\r\nwith\0bytes") == "OK")
assert(r:call("GET", "greeting") == "hello\r\nwith\0bytes")
assert(r:call("GET", "missing") == nil)
assert(r:call("INCRBY", "n", 41) == 41 and r:call("INCR", "n") == 42)
r:call("RPUSH", "list", "a", "b", "c")
local l = r:call("LRANGE", "list", 0, -1)
assert(#l == 3 and l[1] == "a" and l[3] == "c")
print(r:call("NOSUCHCOMMAND"))
print(r:call("INCR", "greeting"))
-- Pipelining: several commands in one send, every reply in order.
local replies = r:pipeline{{"SET", "p", "1"}, {"INCR", "p"}, {"INCR", "greeting"}, {"GET", "p"}, {"MGET", "p", "missing"}}
assert(replies[1] == "OK" and replies[2] == 2 and replies[3].error and replies[4] == "2")
assert(replies[5][1] == "2" and replies[5][2] == nil)
-- Tasks share nothing but the server: ten clients at once.
local tasks = {}
for i = 1, 10 do
  tasks[i] = spawn(function()
    local c = assert(redis.connect("127.0.0.1", %d))
    for _ = 1, 20 do c:call("INCR", "shared") end
    c:close()
  end)
end
for i = 1, 10 do tasks[i]:wait(10) end
assert(r:call("GET", "shared") == "200")
r:close()
print(r:call("PING"))
-- Nobody there.
local gone = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local _, p = gone:getsockname()
gone:close()
print(redis.connect("127.0.0.1", p))
`, port, port))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "nil\tERR unknown command 'NOSUCHCOMMAND'") ||
		lines[1] != "nil\tERR value is not an integer or out of range" || lines[2] != "nil\tclosed" ||
		!strings.HasPrefix(lines[3], "nil\tconnection refused: 127.0.0.1:") {
		t.Errorf("output:\n%s", out)
	}
}

// The syslog plugin against a real rsyslogd with inputs on loopback ports;
// what it receives comes back through a named pipe, line by line.
func TestSyslogPlugin(t *testing.T) {
	rsyslogd := testenv.Need(t, "rsyslogd", "rsyslog")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "out")
	if err := exec.Command("mkfifo", fifo).Run(); err != nil {
		t.Fatal(err)
	}
	udp, tcp := freePort(t), freePort(t)
	conf := filepath.Join(dir, "rsyslog.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`global(workDirectory=%q processInternalMessages="on")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="%d")
input(type="imtcp" address="127.0.0.1" port="%d")
template(name="t" type="string" string="%%syslogfacility%%.%%syslogseverity%% %%hostname%% %%app-name%% %%procid%% %%msgid%% %%msg%%\n")
*.* action(type="ompipe" pipe=%q template="t")
`, dir, udp, tcp, fifo)), 0o644)
	lines := make(chan string, 16)
	go func() {
		f, err := os.Open(fifo) // waits for rsyslogd to open it
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	cmd := exec.Command(rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "pid"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(30 * time.Second):
			t.Fatal("rsyslogd wrote nothing")
		}
		return ""
	}
	if l := next(); !strings.Contains(l, `[origin software="rsyslogd"`) || !strings.HasSuffix(l, "start") {
		t.Fatalf("first line %q", l)
	}
	runLua(t, fmt.Sprintf(`
local syslog = require "syslog"
local log = assert(syslog.new{host = "127.0.0.1", port = %d, app = "probe", hostname = "h1", procid = 42, facility = "local3"})
assert(log:log("warning", "over udp in 5424", "ID47"))
log:close()
local tcp = assert(syslog.new{host = "127.0.0.1", port = %d, proto = "tcp", app = "probe", hostname = "h2", facility = "daemon"})
assert(tcp:log("err", "first over tcp"))
assert(tcp:log(7, "second over tcp, same connection"))
tcp:close()
assert(syslog.send{host = "127.0.0.1", port = %d, format = "3164", app = "oldtag", hostname = "h3", severity = "notice", message = "bsd format"})
assert(syslog.format{hostname = "h", message = "m"}:match("^<14>1 %%d%%d%%d%%d%%-%%d%%d%%-%%d%%dT%%d%%d:%%d%%d:%%d%%dZ h sockshell %%- %%- %%- m$"))
local ok, err = pcall(function() local s = syslog.format{severity = "loud"} return s end)
assert(not ok and err:match("^test:%%d+: syslog: unknown severity 'loud' %%(emerg, alert, crit, err, warning, notice, info, debug%%)$"), err)
`, udp, tcp, udp))
	want := []string{
		"19.4 h1 probe 42 ID47 over udp in 5424",
		"3.3 h2 probe - - first over tcp",
		"3.7 h2 probe - - second over tcp, same connection",
		"1.5 h3 oldtag - -  bsd format",
	}
	got := map[string]bool{}
	for range want {
		got[next()] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("rsyslogd did not log %q; got %v", w, got)
		}
	}
}

// BenchmarkDNSQuery measures dns.query round trips per second against a
// real dnsmasq on loopback, beside the same queries from Go's resolver to
// the same server in the same run.
func BenchmarkDNSQuery(b *testing.B) {
	port := startDnsmasq(b, "192.0.2.10 www.example.test\n")

	s := luaapi.New(luaapi.Options{Stdout: io.Discard, Builtin: FS, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	fn, err := s.Compile(fmt.Sprintf(`local dns = require "dns"
local n = ...
for i = 1, n do assert(dns.query("www.example.test", "A", "127.0.0.1:%d")) end`, port), "bench")
	if err != nil {
		b.Fatal(err)
	}
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", fmt.Sprintf("127.0.0.1:%d", port))
	}}
	b.ResetTimer()
	start := time.Now()
	if _, err := s.Call(fn, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
	luaRate := float64(b.N) / time.Since(start).Seconds()
	start = time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := resolver.LookupNetIP(context.Background(), "ip4", "www.example.test"); err != nil {
			b.Fatal(err)
		}
	}
	goRate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(luaRate, "lua-queries/s")
	b.ReportMetric(goRate, "go-queries/s")
	b.ReportMetric(luaRate/goRate, "lua/go")
}

// dnsAnswer builds the reply to query (a DNS query message) with one A
// record of addr, for name when it is not "" (else the question asked).
func dnsAnswer(query []byte, name string, addr [4]byte) []byte {
	end := 12
	for end < len(query) && query[end] != 0 {
		end += int(query[end]) + 1
	}
	question := append([]byte(nil), query[12:end+5]...)
	if name != "" {
		question = nil
		for _, label := range strings.Split(name, ".") {
			question = append(append(question, byte(len(label))), label...)
		}
		question = append(question, 0, 0, 1, 0, 1)
	}
	msg := append([]byte{query[0], query[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, question...)
	msg = append(msg, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
	return append(msg, addr[:]...)
}

// The dns plugin against a hostile server: every query gets first a
// mutated or random answer, an answer from another port, or one about
// another question, then the true answer. No query raises; a malformed
// answer is "malformed answer: …"; a forged or misdirected one is
// ignored.
func TestDNSPluginFuzz(t *testing.T) {
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	forger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				return
			}
			query := append([]byte(nil), buf[:n]...)
			good := dnsAnswer(query, "", [4]byte{192, 0, 2, 1})
			var bad []byte
			switch rng.IntN(5) {
			case 0: // another question, the right ID and port: ignored
				srv.WriteToUDP(dnsAnswer(query, "evil.example.test", [4]byte{7, 7, 7, 7}), from)
			case 1: // the right answer from another port: ignored
				forger.WriteToUDP(dnsAnswer(query, "", [4]byte{6, 6, 6, 6}), from)
			case 2: // random bytes after the ID
				bad = append([]byte{query[0], query[1]}, make([]byte, rng.IntN(80))...)
				for i := 2; i < len(bad); i++ {
					bad[i] = byte(rng.IntN(256))
				}
			case 3: // the answer cut short
				bad = good[:2+rng.IntN(len(good)-2)]
			default: // the answer with bytes changed, the ID kept
				bad = append([]byte(nil), good...)
				for k := rng.IntN(6) + 1; k > 0; k-- {
					bad[2+rng.IntN(len(bad)-2)] = byte(rng.IntN(256))
				}
			}
			if bad != nil {
				srv.WriteToUDP(bad, from)
			}
			srv.WriteToUDP(good, from)
		}
	}()
	out := runLua(t, fmt.Sprintf(`
local dns = require "dns"
dns.timeout, dns.retries = 2, 0
local counts = {ok = 0, malformed = 0}
for i = 1, 400 do
  local ok, answers, err = pcall(dns.query, "www.example.test", "A", "127.0.0.1:%d")
  assert(ok, answers)
  if answers then
    for _, a in ipairs(answers) do
      assert(a.data ~= "7.7.7.7" and a.data ~= "6.6.6.6", "a forged answer was taken: " .. a.data)
    end
    counts.ok = counts.ok + 1
  else
    -- A changed rcode is a well-formed error reply.
    assert(err:match("^malformed answer: .") or err:match(": www%%.example%%.test$"), err)
    assert(not err:find("builtin:") and not err:find("bad argument"), err)
    counts.malformed = counts.malformed + 1
  end
end
print(counts.ok + counts.malformed, counts.ok > 100, counts.malformed > 10)`, srv.LocalAddr().(*net.UDPAddr).Port))
	if out != "400\ttrue\ttrue\n" {
		t.Errorf("output %q", out)
	}
}

// startRedis runs redis-server on port until the test ends or the process
// is killed; it returns the process once the server is ready.
func startRedis(t *testing.T, port int) *os.Process {
	t.Helper()
	redisServer := testenv.Need(t, "redis-server", "redis-server")
	return testenv.Serve(t, "Ready to accept connections", redisServer, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())
}

// The redis client's timeout covers every call: a stopped server gives a
// timeout, a killed one "closed", and the client connects again once the
// server is back.
func TestRedisPluginServerStopsAndDies(t *testing.T) {
	port := freePort(t)
	proc := startRedis(t, port)
	s := luaapi.New(luaapi.Options{Builtin: FS, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	do := func(src string) string {
		t.Helper()
		fn, err := s.Compile(src, "test")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := s.CallContext(ctx, fn)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		return res[0].String()
	}
	do(fmt.Sprintf(`redis = require "sockshell.redis" r = assert(redis.connect("127.0.0.1", %d, 0.3)) return true`, port))
	if got := do(`return r:call("PING")`); got != "PONG" {
		t.Fatalf("PING: %s", got)
	}
	proc.Signal(syscall.SIGSTOP)
	if got := do(`local t0 = now() local v, err = r:call("PING") return tostring(v) .. " " .. err .. " " .. tostring(now() - t0 < 2)`); got != fmt.Sprintf("nil timeout: no reply from 127.0.0.1:%d within 0.3s true", port) {
		t.Errorf("stopped server: %s", got)
	}
	proc.Signal(syscall.SIGCONT)
	if got := do(`return r:call("PING")`); got != "PONG" {
		t.Errorf("after SIGCONT: %s", got)
	}
	proc.Kill()
	proc.Wait()
	if got := do(`local v, err = r:call("PING") return tostring(v) .. " " .. err`); got != "nil closed" {
		t.Errorf("killed server: %s", got)
	}
	startRedis(t, port)
	if got := do(`return r:call("PING")`); got != "PONG" {
		t.Errorf("server back: %s", got)
	}
	if got := do(`r:close() local v, err = r:call("PING") return tostring(v) .. " " .. err`); got != "nil closed" {
		t.Errorf("after close: %s", got)
	}
}

// The redis client against a server that breaks RESP2: each bad reply
// ends the call with nil and "protocol error: …", never a Lua error from
// inside the client, and a deep nest of arrays ends at once.
func TestRedisPluginBadReplies(t *testing.T) {
	out := runLua(t, `
local redis = require "sockshell.redis"
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local _, port = l:getsockname()
local replies = {"$abc\r\n", "$1e400\r\n", "$2.5\r\n", "$2^40\r\n", ":x\r\n", "*-x\r\n",
  "$99999999999\r\n", "?\r\n", ("*1\r\n"):rep(200000) .. ":1\r\n"}
local server = spawn(function()
  for _, reply in ipairs(replies) do
    local c = l:accept(10)
    c:send(reply)
    c:receive("*a", 10) -- until the client hangs up
    c:close()
  end
end)
for _ = 1, #replies do
  local r = assert(redis.connect("127.0.0.1", port, 10))
  local v, err = r:call("PING")
  print(v, err)
  r:close()
end
server:wait(10)
`)
	want := `nil	protocol error: not a whole number in reply "$abc"
nil	protocol error: not a whole number in reply "$1e400"
nil	protocol error: not a whole number in reply "$2.5"
nil	protocol error: not a whole number in reply "$2^40"
nil	protocol error: not a whole number in reply ":x"
nil	protocol error: not a whole number in reply "*-x"
nil	protocol error: a bulk string over 512 MB in reply "$99999999999"
nil	protocol error: unexpected reply type in reply "?"
nil	protocol error: arrays nested deeper than 100 in reply "*1"
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// Every function a built-in plugin documents has an example, and each
// example runs as help() shows it, against real servers: the addresses it
// names are pointed at the test's own (dnsmasq, redis, a UDP port that
// takes the syslog messages, a port that gets a datagram for hexview).
func TestPluginExamplesRun(t *testing.T) {
	dnsPort := startDnsmasq(t, "192.0.2.10 www.example.test\n", "--mx-host=example.test,mail.example.test,10")
	redisServer := testenv.Need(t, "redis-server", "redis-server")
	redisPort := freePort(t)
	server(t, "Ready to accept connections", redisServer, "--port", fmt.Sprint(redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())
	logs, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	hexPort := freePort(t)

	var out bytes.Buffer
	s := luaapi.New(luaapi.Options{Stdout: &out, Stderr: &out, Builtin: FS, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	guard := time.AfterFunc(60*time.Second, func() { s.Interrupt() })
	defer guard.Stop()
	if err := s.DoString(`dns, redis, syslog, hexview = require "sockshell.dns", require "sockshell.redis", require "sockshell.syslog", require "sockshell.hexview"`, "load"); err != nil {
		t.Fatal(err)
	}
	docs := s.PluginDocs()
	if len(docs) < 8 {
		t.Fatalf("%d plugin docs, want every described function", len(docs))
	}
	replace := strings.NewReplacer(
		"127.0.0.1:5353", fmt.Sprintf("127.0.0.1:%d", dnsPort),
		`"127.0.0.1", 6379`, fmt.Sprintf(`"127.0.0.1", %d`, redisPort),
		"port = 514", fmt.Sprintf("port = %d", logs.LocalAddr().(*net.UDPAddr).Port),
		"hexview.once(6000", fmt.Sprintf("hexview.once(%d", hexPort))
	for _, d := range docs {
		if d.Example == "" {
			t.Errorf("%s has no example", d.Name)
			continue
		}
		src := replace.Replace(d.Example)
		if strings.HasPrefix(d.Name, "hexview.") {
			// hexview waits for a datagram: send until the example is done.
			stop := make(chan struct{})
			go sendUntil(stop, hexPort, "hello hexview")
			defer close(stop)
		}
		out.Reset()
		if err := s.DoString(src, d.Name); err != nil {
			t.Errorf("%s: example failed: %v\n%s", d.Name, err, src)
			continue
		}
		if strings.TrimSpace(out.String()) == "" {
			t.Errorf("%s: example printed nothing:\n%s", d.Name, src)
		}
		t.Logf("%s:\n%s", d.Name, out.String())
	}
	// The syslog examples reached their port.
	logs.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []string
	buf := make([]byte, 2048)
	for len(got) < 2 {
		n, _, err := logs.ReadFrom(buf)
		if err != nil {
			t.Fatalf("syslog examples: got %q, then %v", got, err)
		}
		got = append(got, string(buf[:n]))
	}
	if all := strings.Join(got, "\n"); !strings.Contains(all, "disk almost full") || !strings.Contains(all, "disk full") {
		t.Errorf("syslog examples sent %q", got)
	}
}

// sendUntil sends text to a loopback UDP port every few milliseconds until
// stop is closed or a minute has passed.
func sendUntil(stop <-chan struct{}, port int, text string) {
	c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return
	}
	defer c.Close()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		c.Write([]byte(text))
		select {
		case <-stop:
			return
		case <-deadline:
			return
		case <-tick.C:
		}
	}
}

// The built-in plugins' dissectors decode their protocols in trace's
// lines, loaded on the first packet of their ports without a require:
// DNS to a real dnsmasq and Redis to a real redis-server, both on
// 127.0.0.2 at their own ports, and syslog to a port of the session's.
func TestBuiltinDissectorsInTrace(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "binding ports 53 and 514 needs root")
	}
	dnsmasq := testenv.Need(t, "dnsmasq", "dnsmasq-base")
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte("192.0.2.10 www.example.test\n"), 0o644)
	server(t, "started, version", dnsmasq, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
		"--listen-address=127.0.0.2", "--port=53", "--conf-file=/dev/null", "--user=root",
		"--pid-file="+filepath.Join(dir, "pid"), "--log-facility=-", "--addn-hosts="+hosts, "--local=/example.test/")
	redisServer := testenv.Need(t, "redis-server", "redis-server")
	server(t, "Ready to accept connections", redisServer, "--port", "6379", "--bind", "127.0.0.2",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())

	var out bytes.Buffer
	s := luaapi.New(luaapi.Options{Stdout: &out, Stderr: &out, Builtin: FS, PluginDirs: []luaapi.PluginDir{}})
	defer s.Close()
	err := s.DoString(`trace(true)
local u = listen(0, "127.0.0.1")
u:sendto(pack(">I2 I2 I2 I2 I2 I2", 0x1234, 0x0100, 1, 0, 0, 0) .. "\3www\7example\4test\0" .. pack(">I2 I2", 1, 1), "127.0.0.2", 53)
assert(u:recvfrom(512, 5))
local c = assert(connect("127.0.0.2", 6379, 5))
c:send("*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n")
assert(c:receive() == "+OK")
c:close()
local log = listen(514, "127.0.0.2")
sendto("<12>Dec  7 00:28:18 h probe: disk almost full", "127.0.0.2", 514)
log:recvfrom()
trace(false)`, "test")
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		`-> 127.0.0.2:53 \d+B dns query A www.example.test. id=4660`,
		`<- 127.0.0.2:53 \d+B dns answer A www.example.test. id=4660: 192.0.2.10`,
		`-> 127.0.0.2:6379 \d+B redis SET "greeting" "hello"`,
		`<- 127.0.0.2:6379 5B redis "OK"`,
		`-> 127.0.0.2:514 \d+B syslog user.warning probe: disk almost full`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("trace lacks %s:\n%s", want, out.String())
		}
	}
}
