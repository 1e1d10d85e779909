// Package capture reads packet captures — pcap and pcapng files, from
// tcpdump, tshark, Wireshark or sockshell's own trace.save — one packet at
// a time, decoded down to what a socket program sees: addresses, ports,
// the transport (UDP, TCP with its flags and sequence numbers, ICMP) and
// the payload. The files are read by gopacket's pcapgo and the headers
// decoded by its layers package; this package only picks the fields.
package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Packet is one captured packet, decoded.
type Packet struct {
	N        int       // its number in the file, from 1
	Time     time.Time // when it was captured
	Len      int       // its length on the wire
	Captured int       // how much of it the file holds (less when cut by a snap length)
	Family   int       // 4 or 6; 0 when it is not IP
	Src, Dst netip.Addr
	// Proto is "udp", "tcp", "icmp", "icmp6", or the IP protocol's
	// number as text for another; "" when the packet is not IP.
	Proto            string
	SrcPort, DstPort uint16
	// TCP: its flags ("SYN,ACK"), sequence and acknowledgement numbers.
	Flags    string
	Seq, Ack uint32
	// ICMP: type and code.
	ICMPType, ICMPCode uint8
	// Payload is the transport's payload (UDP, TCP, ICMP data); for a
	// packet that is not IP, the whole frame.
	Payload []byte
}

// Reader reads the packets of one capture.
type Reader struct {
	src      packetSource
	frames   *framer // pcapng's
	link     layers.LinkType
	ng       bool
	n        int
	maxCap   int   // the largest packet a record may claim
	firstErr error // what ended the reading
}

// framer follows a pcapng file's blocks as its bytes go by (a block is
// its type, its length, its body, its length again), so that at the end
// of the file it can tell a whole last block from one cut short: gopacket
// reports both as io.EOF.
type framer struct {
	r      io.Reader
	head   [12]byte
	nhead  int    // bytes of the block's header seen
	rest   uint64 // bytes of the block's body still to come
	little bool
	bad    bool // a length no block can have
}

func (f *framer) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	for b := p[:n]; len(b) > 0 && !f.bad; {
		if f.rest > 0 {
			k := uint64(len(b))
			if k > f.rest {
				k = f.rest
			}
			f.rest -= k
			b = b[k:]
			continue
		}
		f.head[f.nhead] = b[0]
		f.nhead++
		b = b[1:]
		isSection := binary.BigEndian.Uint32(f.head[:4]) == 0x0a0d0d0a
		if f.nhead < 8 || (isSection && f.nhead < 12) {
			continue
		}
		if isSection {
			f.little = binary.LittleEndian.Uint32(f.head[8:12]) == 0x1a2b3c4d
		}
		order := binary.ByteOrder(binary.BigEndian)
		if f.little {
			order = binary.LittleEndian
		}
		length := uint64(order.Uint32(f.head[4:8]))
		if length < 12 || length%4 != 0 || length < uint64(f.nhead) {
			f.bad = true
			break
		}
		f.rest, f.nhead = length-uint64(f.nhead), 0
	}
	return n, err
}

// cut reports whether the bytes so far end inside a block.
func (f *framer) cut() bool { return f.nhead > 0 || f.rest > 0 }

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// maxSnap is the largest packet a capture may say it holds: a header
// claiming more is a damaged file, not a packet.
const maxSnap = 16 << 20

// linkTypeLinuxSLL2 is libpcap's "cooked" capture of the "any" device
// since libpcap 1.10 (tshark -i any): link type 276, which gopacket 1.1
// keeps in a byte, so that it reads as 276 mod 256 (no link type has
// that number of its own).
const linkTypeLinuxSLL2 layers.LinkType = 276 % 256

// NewReader reads a capture from r: pcap (any byte order, micro- or
// nanosecond times) or pcapng, told apart by their first bytes.
func NewReader(r io.Reader) (*Reader, error) {
	f := &framer{r: r}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, err := br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("not a capture: the file is empty or shorter than a header")
		}
		return nil, err
	}
	switch {
	case binary.BigEndian.Uint32(magic) == 0x0a0d0d0a:
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, fmt.Errorf("not a readable pcapng file: %v", err)
		}
		return &Reader{src: ng, frames: f, link: ng.LinkType(), ng: true, maxCap: maxSnap}, nil
	case isPcapMagic(magic):
		p, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("not a readable pcap file: %v", err)
		}
		if p.Snaplen() > maxSnap {
			return nil, fmt.Errorf("damaged pcap file: its snap length %d is beyond any packet", p.Snaplen())
		}
		return &Reader{src: p, link: p.LinkType(), maxCap: maxSnap}, nil
	}
	return nil, fmt.Errorf("not a capture: it starts with %x, neither pcap nor pcapng (tcpdump -w, tshark -w and trace.save write them)", magic)
}

func isPcapMagic(b []byte) bool {
	for _, m := range []uint32{0xa1b2c3d4, 0xa1b23c4d} {
		if binary.BigEndian.Uint32(b) == m || binary.LittleEndian.Uint32(b) == m {
			return true
		}
	}
	return false
}

// Format is "pcap" or "pcapng".
func (r *Reader) Format() string {
	if r.ng {
		return "pcapng"
	}
	return "pcap"
}

// ErrTruncated is the error of a capture that ends inside a packet: the
// packets before it were read.
var ErrTruncated = errors.New("the capture ends inside a packet (cut short while it was written, or damaged)")

// Next returns the next packet; io.EOF after the last. A damaged or cut
// file gives an error naming the packet where it went wrong; the packets
// before it stand.
func (r *Reader) Next() (Packet, error) {
	if r.firstErr != nil {
		return Packet{}, r.firstErr
	}
	data, ci, err := r.src.ReadPacketData()
	if err != nil {
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF) && r.frames != nil && r.frames.cut():
			r.firstErr = fmt.Errorf("packet %d: %w", r.n+1, ErrTruncated)
		case errors.Is(err, io.EOF) && r.frames != nil && r.frames.bad:
			r.firstErr = fmt.Errorf("packet %d: damaged capture: a block's length is wrong", r.n+1)
		case errors.Is(err, io.EOF):
			r.firstErr = io.EOF
		default:
			r.firstErr = fmt.Errorf("packet %d: damaged capture: %v", r.n+1, err)
		}
		return Packet{}, r.firstErr
	}
	r.n++
	link := r.link
	if len(ci.AncillaryData) > 0 {
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			link = lt
		}
	}
	p := decode(data, link)
	p.N, p.Time, p.Len, p.Captured = r.n, ci.Timestamp, ci.Length, ci.CaptureLength
	return p, nil
}

// decode picks a packet's fields out of a frame of link type link.
func decode(data []byte, link layers.LinkType) Packet {
	var first gopacket.Decoder = link
	if link == linkTypeLinuxSLL2 {
		// Protocol type (2 bytes), reserved (2), interface (4), ARPHRD
		// (2), packet type (1), address length (1), address (8).
		if len(data) < 20 {
			return Packet{Payload: data}
		}
		switch layers.EthernetType(binary.BigEndian.Uint16(data[0:2])) {
		case layers.EthernetTypeIPv4:
			first = layers.LayerTypeIPv4
		case layers.EthernetTypeIPv6:
			first = layers.LayerTypeIPv6
		default:
			return Packet{Payload: data}
		}
		data = data[20:]
	}
	pkt := gopacket.NewPacket(data, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	p := Packet{Payload: data}
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		p.Family, p.Src, p.Dst = 4, addr(ip.SrcIP), addr(ip.DstIP)
		p.Proto = ipProto(ip.Protocol)
		p.Payload = ip.Payload
	case *layers.IPv6:
		p.Family, p.Src, p.Dst = 6, addr(ip.SrcIP), addr(ip.DstIP)
		p.Proto = ipProto(ip.NextHeader)
		p.Payload = ip.Payload
	default:
		return p
	}
	switch t := pkt.TransportLayer().(type) {
	case *layers.UDP:
		p.SrcPort, p.DstPort, p.Payload = uint16(t.SrcPort), uint16(t.DstPort), t.Payload
	case *layers.TCP:
		p.SrcPort, p.DstPort, p.Payload = uint16(t.SrcPort), uint16(t.DstPort), t.Payload
		p.Seq, p.Ack = t.Seq, t.Ack
		p.Flags = tcpFlags(t)
	}
	if l := pkt.Layer(layers.LayerTypeICMPv4); l != nil {
		ic := l.(*layers.ICMPv4)
		p.ICMPType, p.ICMPCode, p.Payload = ic.TypeCode.Type(), ic.TypeCode.Code(), ic.Payload
	} else if l := pkt.Layer(layers.LayerTypeICMPv6); l != nil {
		ic := l.(*layers.ICMPv6)
		p.ICMPType, p.ICMPCode, p.Payload = ic.TypeCode.Type(), ic.TypeCode.Code(), ic.Payload
	}
	return p
}

func addr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func ipProto(p layers.IPProtocol) string {
	switch p {
	case layers.IPProtocolUDP:
		return "udp"
	case layers.IPProtocolTCP:
		return "tcp"
	case layers.IPProtocolICMPv4:
		return "icmp"
	case layers.IPProtocolICMPv6:
		return "icmp6"
	}
	return fmt.Sprint(int(p))
}

// tcpFlags names the flags set, in the order of the header's bits.
func tcpFlags(t *layers.TCP) string {
	var f []string
	for _, x := range []struct {
		on   bool
		name string
	}{{t.FIN, "FIN"}, {t.SYN, "SYN"}, {t.RST, "RST"}, {t.PSH, "PSH"}, {t.ACK, "ACK"}, {t.URG, "URG"}, {t.ECE, "ECE"}, {t.CWR, "CWR"}} {
		if x.on {
			f = append(f, x.name)
		}
	}
	return strings.Join(f, ",")
}
