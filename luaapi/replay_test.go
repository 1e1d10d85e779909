package luaapi

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	lua "github.com/yuin/gopher-lua"
)

// replay sends a captured TCP client's bytes over a new connection to the
// server it is told, and its datagrams, in order; the capture's gaps are
// kept, scaled by speed.
func TestReplay(t *testing.T) {
	s, out := newTestSession(t)
	file := filepath.Join(t.TempDir(), "conv.pcapng")
	run(t, s, `local file = `+luaQuote(file)+`
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local u = listen(0, "127.0.0.1")
trace{quiet = true}
local c = connect("127.0.0.1", select(2, l:getsockname()))
local a = l:accept()
c:send("first\n") a:receive()
a:send("ok\n") c:receive()
c:send("second\n") a:receive()
c:close() a:close()
u:sendto("d1", "127.0.0.1", select(2, u:getsockname())) u:recvfrom()
sleep(0.2)
u:sendto("d2", "127.0.0.1", select(2, u:getsockname())) u:recvfrom()
trace.save(file)
trace(false)
l:close() u:close()`)
	got := run(t, s, `local file = `+luaQuote(file)+`
local l = listen{port = 0, host = "127.0.0.1", proto = "tcp"}
local u = listen(0, "127.0.0.1")
local received = spawn(function()
  local c = l:accept(5)
  return c:receive("*a")
end)
local t0 = now()
local counts = replay(file, {to = "127.0.0.1:" .. select(2, l:getsockname()), filter = "tcp", speed = 0})
local stream = received:wait(5)
counts = replay(file, {to = "127.0.0.1:" .. select(2, u:getsockname()), filter = "udp", speed = 2})
local took = now() - t0
return counts.datagrams, counts.bytes, stream, took, u:recvfrom(10, 1), (u:recvfrom(10, 1))`)
	if len(got) != 6 || got[0].String() != "2" || got[1].String() != "4" || got[2].String() != "first\nsecond\n" ||
		got[4].String() != "d1" || got[5].String() != "d2" {
		t.Fatalf("got %v\n%s", got, out)
	}
	if took := float64(got[3].(lua.LNumber)); took < 0.1 {
		t.Errorf("replayed a 0.2 s gap at speed 2 in %.3f s", took)
	}
	if strings.Contains(out.String(), "error") {
		t.Errorf("output: %s", out)
	}
}

// Ctrl-C stops a replay that waits out a long gap of its capture.
func TestReplayStops(t *testing.T) {
	srv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// A capture of two datagrams an hour apart.
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65536, layers.LinkTypeEthernet)
	for i, at := range []time.Time{time.Unix(1700000000, 0), time.Unix(1700003600, 0)} {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 1)}
		udp := &layers.UDP{SrcPort: 40000, DstPort: 9}
		udp.SetNetworkLayerForChecksum(ip)
		b := gopacket.NewSerializeBuffer()
		gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			&layers.Ethernet{SrcMAC: make(net.HardwareAddr, 6), DstMAC: make(net.HardwareAddr, 6), EthernetType: layers.EthernetTypeIPv4},
			ip, udp, gopacket.Payload([]byte{byte('0' + i)}))
		w.WritePacket(gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(b.Bytes()), Length: len(b.Bytes())}, b.Bytes())
	}
	file := filepath.Join(t.TempDir(), "hour.pcap")
	os.WriteFile(file, buf.Bytes(), 0o644)
	s, _ := newTestSession(t)
	fn, err := s.Compile(`return replay(`+luaQuote(file)+`, {to = "`+srv.LocalAddr().String()+`"})`, "test")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Call(fn); done <- err }()
	// The first datagram says the replay waits for the second.
	srv.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := srv.ReadFrom(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	s.Interrupt()
	select {
	case err := <-done:
		var le *Error
		if !errors.As(err, &le) || !le.Interrupted {
			t.Errorf("replay ended with %v, want interrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C did not stop the replay")
	}
}
