package capture

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// seg is a packet to write: TCP when flags is not "", else UDP.
type seg struct {
	from, to int // ports on 127.0.0.1
	flags    string
	seq, ack uint32
	data     string
}

func pcapOf(t *testing.T, segs []seg) *Reader {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65536, layers.LinkTypeEthernet)
	for i, s := range segs {
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 1)}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{0, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		var l4 gopacket.SerializableLayer
		if s.flags == "" {
			ip.Protocol = layers.IPProtocolUDP
			u := &layers.UDP{SrcPort: layers.UDPPort(s.from), DstPort: layers.UDPPort(s.to)}
			u.SetNetworkLayerForChecksum(ip)
			l4 = u
		} else {
			ip.Protocol = layers.IPProtocolTCP
			tc := &layers.TCP{SrcPort: layers.TCPPort(s.from), DstPort: layers.TCPPort(s.to), Seq: s.seq, Ack: s.ack, Window: 1000}
			for _, f := range []byte(s.flags) {
				switch f {
				case 'S':
					tc.SYN = true
				case 'A':
					tc.ACK = true
				case 'F':
					tc.FIN = true
				case 'P':
					tc.PSH = true
				}
			}
			tc.SetNetworkLayerForChecksum(ip)
			l4 = tc
		}
		b := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload(s.data)); err != nil {
			t.Fatal(err)
		}
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: len(b.Bytes()), Length: len(b.Bytes())}, b.Bytes())
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A TCP connection comes back as its client's and server's turns, each
// byte once though the capture repeats and overlaps segments; a UDP flow
// as its datagrams; a connection the capture joined late has its first
// speaker as client.
func TestConversations(t *testing.T) {
	r := pcapOf(t, []seg{
		{from: 40000, to: 80, flags: "S", seq: 1000},
		{from: 80, to: 40000, flags: "SA", seq: 5000, ack: 1001},
		{from: 40000, to: 80, flags: "A", seq: 1001, ack: 5001},
		{from: 40000, to: 80, flags: "PA", seq: 1001, ack: 5001, data: "GET / "},
		{from: 40000, to: 80, flags: "PA", seq: 1001, ack: 5001, data: "GET / "},             // retransmitted
		{from: 40000, to: 80, flags: "PA", seq: 1005, ack: 5001, data: "/ HTTP/1.0\r\n\r\n"}, // overlaps by 2
		{from: 5353, to: 53, data: "query"},
		{from: 80, to: 40000, flags: "PA", seq: 5001, ack: 1021, data: "HTTP/1.0 200 OK\r\n"},
		{from: 53, to: 5353, data: "answer"},
		{from: 80, to: 40000, flags: "FA", seq: 5018, ack: 1021},
		{from: 40000, to: 80, flags: "FA", seq: 1021, ack: 5019},
		{from: 9000, to: 41000, flags: "PA", seq: 77, ack: 1, data: "joined late"},
	})
	convs, err := Conversations(r, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 3 {
		t.Fatalf("%d conversations", len(convs))
	}
	web, dns, late := convs[0], convs[1], convs[2]
	if web.Proto != "tcp" || web.Client.Port() != 40000 || web.Server.Port() != 80 || !web.Opened || !web.Closed || len(web.Turns) != 2 ||
		string(web.Turns[0].Data) != "GET / HTTP/1.0\r\n\r\n" || !web.Turns[0].FromClient ||
		string(web.Turns[1].Data) != "HTTP/1.0 200 OK\r\n" || web.Turns[1].FromClient {
		t.Errorf("tcp: %+v", web)
	}
	if dns.Proto != "udp" || dns.Client.Port() != 5353 || len(dns.Turns) != 2 || string(dns.Turns[1].Data) != "answer" {
		t.Errorf("udp: %+v", dns)
	}
	if late.Client.Port() != 9000 || late.Opened || len(late.Turns) != 1 {
		t.Errorf("joined late: %+v", late)
	}
	// A filter keeps some.
	udpOnly, _ := ParseFilter("udp")
	convs, _ = Conversations(pcapOf(t, []seg{{from: 1, to: 2, data: "a"}, {from: 3, to: 4, flags: "S"}}), udpOnly, nil)
	if len(convs) != 1 || convs[0].Proto != "udp" {
		t.Errorf("filtered: %+v", convs)
	}
}
