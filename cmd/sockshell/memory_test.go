package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// The memory budget holds where memory grows: functions whose result's
// size their arguments or a peer set ask it before they allocate, reads
// ask it as their buffer grows, and growth by many small objects, which
// no single call sizes, is caught after a collection (the pacer pokes the
// running Lua code). Each case ends with a "not enough memory" that pcall
// catches, and the process stays under 1.5 times the budget, where the
// kernel used to kill it. What fits is not refused.
func TestMemoryBudgetWhereMemoryGrows(t *testing.T) {
	const defaultMB = 256
	// A sparse file of 1 GB: zeros that take no disk, read as a file and
	// as standard input.
	huge := filepath.Join(t.TempDir(), "huge")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	const big = `big = string.rep("x", 100e6) `
	const noMem = "false\tnot enough memory\n"
	for _, tc := range []struct {
		name, prelude, body, want string
		stdin                     bool // standard input is the sparse file
	}{
		{"format", big, `return #string.format("%s%s", big, big)`, noMem, false},
		{"tohex", big, `return #tohex(big)`, noMem, false},
		{"hexdump", big, `return #hexdump(big)`, noMem, false},
		{"gsub", big, `return #big:gsub("x", "yy")`, noMem, false},
		{"loadstring", big, `return #loadstring(big)`, noMem, false},
		{"pack", big, `return #pack(">s4s4s4", big, big, big)`, noMem, false},
		{"pack padding", "", `return #pack("c300000000", "")`, noMem, false},
		{"upper", big, `local b2 = big .. "y" return #b2:upper()`, noMem, false},
		{"upper fits", big, `return #big:upper()`, "true\t100000000\n", false},
		// Stream reads that wait for more: 400 MB sent, in one line.
		{"stream *a", "", `return #` + receive400(`listen{port = 0, host = "127.0.0.1", proto = "tcp"}`, "*a"), noMem, false},
		{"LuaSocket *a", "", `return #` + receive400(`assert(require("socket").bind("127.0.0.1", 0))`, "*a"), noMem, false},
		{"LuaSocket *l", "", `return #` + receive400(`assert(require("socket").bind("127.0.0.1", 0))`, "*l"), noMem, false},
		// Files and standard input of 1 GB, in one line.
		{"stdin *a", "", `return #io.read("*a")`, noMem, true},
		{"stdin *l", "", `return #io.read("*l")`, noMem, true},
		{"stdin count", "", `return #io.read(1e9)`, noMem, true},
		{"stdin lines", "", `return #io.lines()()`, noMem, true},
		{"file *a", "", `return #assert(io.open(HUGE)):read("*a")`, noMem, false},
		{"file *l", "", `return #assert(io.open(HUGE)):read("*l")`, noMem, false},
		{"file count", "", `return #assert(io.open(HUGE)):read(1e9)`, noMem, false},
		{"file lines", "", `return #io.lines(HUGE)()`, noMem, false},
		// Many small objects, which no single call sizes.
		{"strings in a table", "", `local t = {} for i = 1, 1e9 do t[i] = ("x"):rep(60000) .. i end`, noMem, false},
		{"tables", "", `local t = {} for i = 1, 1e9 do t[i] = {i} end`, noMem, false},
		{"closures", "", `local t = {} for i = 1, 1e9 do t[i] = function() return i end end`, noMem, false},
		{"coroutines", "", `local t = {} for i = 1, 1e9 do t[i] = coroutine.create(print) end`, noMem, false},
		{"tasks", "", `for i = 1, 1e9 do spawn(sleep, 1000) end`, noMem, false},
		{"collector stopped", "", `collectgarbage("stop") local t = {} for i = 1, 1e9 do t[i] = {} end`, noMem, false},
		// Peers that never stop: a redis array of 2^31 replies, and
		// endless HTTP headers.
		{"redis array", "", floodServer(`"*2147483648\r\n"`, `"$60000\r\n" .. v .. "\r\n"`) +
			`local r = require("sockshell.redis").connect("127.0.0.1", port) return #r:call("PING")`, noMem, false},
		{"socket.http headers", "", floodServer(`"HTTP/1.0 200 OK\r\n"`, `("X-%d: "):format(i) .. v .. "\r\n"`) +
			`return #require("socket.http").request("http://127.0.0.1:" .. port .. "/")`, noMem, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const budgetMB = defaultMB
			body := strings.ReplaceAll(tc.body, "HUGE", strconv.Quote(huge))
			// os.exit: tasks left sleeping do not hold the script.
			cmd := command("--max-memory", fmt.Sprint(budgetMB, "M"), "-e",
				tc.prelude+`print(pcall(function() `+body+` end)) os.exit(0)`)
			stdin := io.Reader(strings.NewReader(""))
			if tc.stdin {
				f, err := os.Open(huge)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				stdin = f
			}
			r := runCmdFrom(t, cmd, stdin)
			if r.code != 0 || r.stdout != tc.want {
				t.Fatalf("exit %d, stdout %.200q, want %q; stderr %.500s", r.code, r.stdout, tc.want, r.stderr)
			}
			ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				t.Skip("no resource usage on this system")
			}
			if peakMB := ru.Maxrss / 1024; peakMB > budgetMB*3/2 {
				t.Errorf("peak RSS %d MB, over 1.5 times the %d MB budget", peakMB, budgetMB)
			}
		})
	}
}

// floodServer is a chunk that listens on a free port of 127.0.0.1 (its
// number in port) and, in a task, sends the first connection head and then
// chunk after chunk without end: chunk is an expression of i, the chunk's
// number, and v, 60000 bytes. The memory budget's error may reach the
// server as well as the client it floods: the server goes on after it.
func floodServer(head, chunk string) string {
	return `local srv = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
		local _, port = srv:getsockname()
		spawn(function()
			local c = srv:accept()
			c:send(` + head + `)
			local v, i = ("v"):rep(60000), 0
			while true do
				local ok, err = pcall(function()
					while true do i = i + 1 assert(c:send(` + chunk + `)) end
				end)
				if ok or err ~= "not enough memory" then break end
			end
			c:close()
		end) `
}

// receive400 is an expression that receives 400 MB, in one line, on a
// server made by listen (native or LuaSocket), with receive(pattern), and
// raises what that raised.
func receive400(listen, pattern string) string {
	return `(function()
			big = nil
			local srv = ` + listen + `
			local _, port = srv:getsockname()
			spawn(function()
				local c = connect("127.0.0.1", port)
				local chunk = ("x"):rep(1e6)
				for _ = 1, 400 do if not c:send(chunk) then break end end
				c:close()
			end)
			local p = srv:accept()
			local ok, err = pcall(p.receive, p, "` + pattern + `")
			p:close()
			error(err, 0)
		end)()`
}

// A capture larger than the memory budget: capture.each reads it all with
// memory to spare, one packet at a time; capture.read, which keeps every
// packet, stops with the budget's error.
func TestCaptureLargerThanTheBudget(t *testing.T) {
	const budgetMB, packets, size = 48, 2000, 60000 // 120 MB of packets, past 1.5 times the budget
	file := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), size)
	for i := 0; i < packets; i++ {
		buf := gopacket.NewSerializeBuffer()
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 1)}
		udp := &layers.UDP{SrcPort: 5000, DstPort: layers.UDPPort(6000 + i%10)}
		udp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{0, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(data), Length: len(data)}, data); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	for _, tc := range []struct{ name, body, want string }{
		{"each", `local n, bytes = 0, 0 for p in capture.each(FILE) do n, bytes = n + 1, bytes + #p.data end return n, bytes`,
			fmt.Sprintf("true\t%d\t%d\n", packets, packets*size)},
		{"read", `return #capture.read(FILE)`, "false\tnot enough memory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.ReplaceAll(tc.body, "FILE", strconv.Quote(file))
			// The peak is the process's own high-water mark, read at its
			// end: a child's rusage counts the memory it shared with this
			// test process between fork and exec.
			cmd := command("--max-memory", fmt.Sprint(budgetMB, "M"), "-e", `print(pcall(function() `+body+` end))
local f = io.open("/proc/self/status")
io.stderr:write(f and f:read("*a"):match("VmHWM:%s*(%d+)") or "")`)
			r := runCmdFrom(t, cmd, strings.NewReader(""))
			if r.code != 0 || r.stdout != tc.want {
				t.Fatalf("exit %d, stdout %.200q, want %q; stderr %.500s", r.code, r.stdout, tc.want, r.stderr)
			}
			kb, err := strconv.Atoi(r.stderr)
			if err != nil {
				t.Skipf("no high-water mark of memory on this system (%q)", r.stderr)
			}
			if peakMB := kb / 1024; peakMB > budgetMB*3/2 {
				t.Errorf("peak RSS %d MB, over 1.5 times the %d MB budget", peakMB, budgetMB)
			}
		})

	}
}
