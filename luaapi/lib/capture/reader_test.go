package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

// traffic sends two datagrams and has one TCP conversation on loopback;
// it returns the UDP and TCP ports.
func traffic(t *testing.T) (udpPort, tcpPort int) {
	t.Helper()
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return u.LocalAddr().(*net.UDPAddr).Port, l.Addr().(*net.TCPAddr).Port
}

// converse makes the traffic on the ports traffic chose.
func converse(t *testing.T, udpPort, tcpPort int) {
	t.Helper()
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: udpPort})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	c, err := net.Dial("udp4", u.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"one", "two"} {
		c.Write([]byte(m))
		buf := make([]byte, 16)
		u.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := u.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", tcpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := l.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 5)
		io.ReadFull(s, buf)
		s.Write([]byte("world"))
		s.Close()
	}()
	tc, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("hello"))
	io.ReadAll(tc)
	tc.Close()
	<-done
}

// capture captures converse's traffic with a real program on iface.
func capture(t *testing.T, program, iface, file string) (udpPort, tcpPort int) {
	t.Helper()
	udpPort, tcpPort = traffic(t)
	c := testenv.StartCapture(t, program, iface, fmt.Sprintf("udp port %d or tcp port %d", udpPort, tcpPort), file)
	converse(t, udpPort, tcpPort)
	c.Stop()
	return udpPort, tcpPort
}

func readAll(t *testing.T, file string) ([]Packet, error) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		return nil, err
	}
	var out []Packet
	for i := 0; i < 100000; i++ {
		p, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	t.Fatal("too many packets")
	return nil, nil
}

// checkConversation: the two datagrams, and the TCP handshake, data and
// close, as the reader decodes them.
func checkConversation(t *testing.T, pkts []Packet, udpPort, tcpPort int) {
	t.Helper()
	var udp []string
	var syn, synack, fin bool
	var tcpData []string
	for _, p := range pkts {
		if p.Family != 4 || p.Src.String() != "127.0.0.1" || p.Dst.String() != "127.0.0.1" {
			t.Errorf("packet %d: family %d %s -> %s", p.N, p.Family, p.Src, p.Dst)
		}
		if p.Time.IsZero() || time.Since(p.Time) > time.Hour {
			t.Errorf("packet %d: time %v", p.N, p.Time)
		}
		switch p.Proto {
		case "udp":
			if string(p.Payload) == "capture end" {
				continue
			}
			if int(p.DstPort) != udpPort {
				t.Errorf("datagram to port %d, want %d", p.DstPort, udpPort)
			}
			udp = append(udp, string(p.Payload))
		case "tcp":
			syn = syn || p.Flags == "SYN" && int(p.DstPort) == tcpPort
			synack = synack || p.Flags == "SYN,ACK" && int(p.SrcPort) == tcpPort
			fin = fin || strings.Contains(p.Flags, "FIN")
			if len(p.Payload) > 0 {
				tcpData = append(tcpData, string(p.Payload))
				if !strings.Contains(p.Flags, "ACK") || p.Seq == 0 {
					t.Errorf("data packet flags %q seq %d", p.Flags, p.Seq)
				}
			}
		default:
			t.Errorf("packet %d: proto %q", p.N, p.Proto)
		}
	}
	if strings.Join(udp, " ") != "one two" {
		t.Errorf("datagrams %q", udp)
	}
	if !syn || !synack || !fin {
		t.Errorf("handshake and close: SYN %v, SYN-ACK %v, FIN %v", syn, synack, fin)
	}
	if strings.Join(tcpData, " ") != "hello world" {
		t.Errorf("stream data %q", tcpData)
	}
}

func TestReadsTcpdumpPcap(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lo.pcap")
	udpPort, tcpPort := capture(t, "tcpdump", "lo", file)
	pkts, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, pkts, udpPort, tcpPort)
	truncatedAndDamaged(t, file, len(pkts))
}

func TestReadsTsharkPcapng(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lo.pcapng")
	udpPort, tcpPort := capture(t, "tshark", "lo", file)
	pkts, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, pkts, udpPort, tcpPort)
	truncatedAndDamaged(t, file, len(pkts))
}

// tshark -i any writes Linux's cooked frames (SLL2), which carry no
// Ethernet header.
func TestReadsTsharkAnyDevice(t *testing.T) {
	file := filepath.Join(t.TempDir(), "any.pcapng")
	udpPort, tcpPort := capture(t, "tshark", "any", file)
	pkts, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, pkts, udpPort, tcpPort)
}

// A capture cut anywhere inside its last packet reads every packet before
// it, then says it was cut; damaged headers and other files give an error
// that says what they are, never a panic.
func truncatedAndDamaged(t *testing.T, file string, n int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut")
	// The last bytes may be a block after the last packet (tshark ends
	// with the interface's statistics); a third of the file is packets.
	for _, drop := range []int{1, 4, 9, 30, len(data) / 3} {
		os.WriteFile(cut, data[:len(data)-drop], 0o644)
		pkts, err := readAll(t, cut)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("cut %d bytes short: %d packets, error %v", drop, len(pkts), err)
		}
		if len(pkts) > n || drop == len(data)/3 && (len(pkts) >= n || len(pkts) == 0) {
			t.Errorf("cut %d bytes short: %d packets of %d", drop, len(pkts), n)
		}
	}
	for name, bad := range map[string][]byte{
		"empty":      nil,
		"text":       []byte("hello, this is not a capture\n"),
		"header":     data[:3],
		"wild sizes": append(append([]byte{}, data[:64]...), bytes.Repeat([]byte{0xff}, 64)...),
	} {
		os.WriteFile(cut, bad, 0o644)
		_, err := readAll(t, cut)
		if err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
}

// FuzzReader: no input makes the reader panic or loop.
func FuzzReader(f *testing.F) {
	f.Add([]byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x01\x00\x00\x00"))
	f.Add([]byte("\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i <= len(data); i++ {
			if _, err := r.Next(); err != nil {
				return
			}
		}
		t.Fatalf("more packets than bytes")
	})
}

// ICMP, as tcpdump captures it: a datagram to a port where nothing
// listens brings back "port unreachable" (type 3, code 3), which carries
// the datagram's start.
func TestReadsICMP(t *testing.T) {
	file := filepath.Join(t.TempDir(), "icmp.pcap")
	c := testenv.StartCapture(t, "tcpdump", "lo", "icmp", file)
	port, _ := traffic(t) // a port just closed: nothing listens there
	u, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("anyone?"))
	u.SetReadDeadline(time.Now().Add(5 * time.Second))
	u.Read(make([]byte, 10)) // the refusal comes back as an error: the ICMP message has arrived
	u.Close()
	c.Stop()
	pkts, err := readAll(t, file)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pkts {
		if p.Proto == "icmp" && bytes.Contains(p.Payload, []byte("anyone?")) {
			found = true
			if p.ICMPType != 3 || p.ICMPCode != 3 || p.Family != 4 {
				t.Errorf("icmp type %d code %d family %d", p.ICMPType, p.ICMPCode, p.Family)
			}
		}
	}
	if !found {
		t.Errorf("no ICMP packet for the datagram among %+v", pkts)
	}
}
