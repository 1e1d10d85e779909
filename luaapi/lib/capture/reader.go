// Package capture reads packet captures — pcap and pcapng files, from
// tcpdump, tshark, Wireshark or sockshell's own trace.save — one packet at
// a time, decoded down to what a socket program sees: addresses, ports,
// the transport (UDP, TCP with its flags and sequence numbers, ICMP) and
// the payload.
//
// The reader is sockshell's own, small and fuzzed, rather than gopacket's:
// gopacket's layers package fills tables for every EtherType and port when
// the program starts, which made every sockshell start three times slower
// (15 ms to 53 ms) and twice as large (7 to 16 MB) for a feature few runs
// use. The tests read captures that the real tcpdump and tshark wrote, and
// ones gopacket writes.
package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
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

// maxBlock is the largest record or block a capture may say it holds: a
// header claiming more is a damaged file, not a packet.
const maxBlock = 16 << 20

// ErrTruncated is the error of a capture that ends inside a packet: the
// packets before it were read.
var ErrTruncated = errors.New("the capture ends inside a packet (cut short while it was written, or damaged)")

// Reader reads the packets of one capture.
type Reader struct {
	r        *bufio.Reader
	ng       bool
	order    binary.ByteOrder
	n        int
	firstErr error // what ended the reading
	// pcap's
	link    uint32
	nanos   bool
	snaplen uint32
	// pcapng's interfaces, in the order the section describes them.
	ifaces []iface
}

// iface is a pcapng interface: its link type and its time unit, in
// nanoseconds per tick, or (unit 0) ticks per nanosecond in div.
type iface struct {
	link    uint32
	snaplen uint32
	unit    int64
	div     int64
}

// NewReader reads a capture from r: pcap (either byte order, micro- or
// nanosecond times) or pcapng, told apart by their first bytes.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("not a capture: the file is empty or shorter than a header")
		}
		return nil, err
	}
	rd := &Reader{r: br}
	switch be, le := binary.BigEndian.Uint32(magic), binary.LittleEndian.Uint32(magic); {
	case be == 0x0a0d0d0a:
		rd.ng = true
		return rd, nil // the section header is read as a block
	case be == 0xa1b2c3d4 || be == 0xa1b23c4d:
		rd.order, rd.nanos = binary.BigEndian, be == 0xa1b23c4d
	case le == 0xa1b2c3d4 || le == 0xa1b23c4d:
		rd.order, rd.nanos = binary.LittleEndian, le == 0xa1b23c4d
	default:
		return nil, fmt.Errorf("not a capture: it starts with %x, neither pcap nor pcapng (tcpdump -w, tshark -w and trace.save write them)", magic)
	}
	var h [24]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, errors.New("not a capture: the file is shorter than a pcap header")
	}
	rd.snaplen, rd.link = rd.order.Uint32(h[16:20]), rd.order.Uint32(h[20:24])&0xffff
	return rd, nil
}

// Format is "pcap" or "pcapng".
func (r *Reader) Format() string {
	if r.ng {
		return "pcapng"
	}
	return "pcap"
}

// Next returns the next packet; io.EOF after the last. A damaged or cut
// file gives an error naming the packet where it went wrong; the packets
// before it stand.
func (r *Reader) Next() (Packet, error) {
	if r.firstErr != nil {
		return Packet{}, r.firstErr
	}
	var (
		data         []byte
		at           time.Time
		length, link int
		err          error
	)
	if r.ng {
		data, at, length, link, err = r.nextBlock()
	} else {
		data, at, length, err = r.nextRecord()
		link = int(r.link)
	}
	if err != nil {
		switch {
		case err == io.EOF:
			r.firstErr = io.EOF
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.firstErr = fmt.Errorf("packet %d: %w", r.n+1, ErrTruncated)
		default:
			r.firstErr = fmt.Errorf("packet %d: damaged capture: %v", r.n+1, err)
		}
		return Packet{}, r.firstErr
	}
	r.n++
	p := decode(data, link)
	p.N, p.Time, p.Len, p.Captured = r.n, at, max(length, len(data)), len(data)
	return p, nil
}

// read fills b: io.EOF when nothing at all was left, io.ErrUnexpectedEOF
// when some of it was.
func (r *Reader) read(b []byte) error {
	_, err := io.ReadFull(r.r, b)
	return err
}

// nextRecord reads a pcap record.
func (r *Reader) nextRecord() ([]byte, time.Time, int, error) {
	var h [16]byte
	if err := r.read(h[:]); err != nil {
		return nil, time.Time{}, 0, err
	}
	sec, frac := r.order.Uint32(h[0:4]), r.order.Uint32(h[4:8])
	caplen, length := r.order.Uint32(h[8:12]), r.order.Uint32(h[12:16])
	if caplen > maxBlock {
		return nil, time.Time{}, 0, fmt.Errorf("a record of %d bytes, beyond any packet", caplen)
	}
	data := make([]byte, caplen)
	if err := r.read(data); err != nil {
		return nil, time.Time{}, 0, io.ErrUnexpectedEOF
	}
	ns := int64(frac) * 1000
	if r.nanos {
		ns = int64(frac)
	}
	return data, time.Unix(int64(sec), ns).UTC(), int(length), nil
}

// pcapng block types.
const (
	blockSection   = 0x0a0d0d0a
	blockInterface = 1
	blockPacketOld = 2
	blockSimple    = 3
	blockEnhanced  = 6
)

// nextBlock reads pcapng blocks until a packet's.
func (r *Reader) nextBlock() ([]byte, time.Time, int, int, error) {
	for {
		var h [8]byte
		if err := r.read(h[:]); err != nil {
			return nil, time.Time{}, 0, 0, err
		}
		typ := binary.BigEndian.Uint32(h[0:4])
		if typ == blockSection {
			// Its byte-order magic decides how this section is read.
			var bom [4]byte
			if err := r.read(bom[:]); err != nil {
				return nil, time.Time{}, 0, 0, io.ErrUnexpectedEOF
			}
			switch {
			case binary.LittleEndian.Uint32(bom[:]) == 0x1a2b3c4d:
				r.order = binary.LittleEndian
			case binary.BigEndian.Uint32(bom[:]) == 0x1a2b3c4d:
				r.order = binary.BigEndian
			default:
				return nil, time.Time{}, 0, 0, errors.New("a section header with no byte-order magic")
			}
			r.ifaces = nil
		} else if r.order == nil {
			return nil, time.Time{}, 0, 0, errors.New("pcapng that does not start with a section header")
		} else {
			typ = r.order.Uint32(h[0:4])
		}
		total := r.order.Uint32(h[4:8])
		if total < 12 || total%4 != 0 || total > maxBlock {
			return nil, time.Time{}, 0, 0, fmt.Errorf("a block of length %d", total)
		}
		bodyLen := int(total) - 12
		if typ == blockSection {
			bodyLen -= 4 // the magic, read already
			if bodyLen < 0 {
				return nil, time.Time{}, 0, 0, fmt.Errorf("a section header of length %d", total)
			}
		}
		body := make([]byte, bodyLen+4)
		if err := r.read(body); err != nil {
			return nil, time.Time{}, 0, 0, io.ErrUnexpectedEOF
		}
		if r.order.Uint32(body[bodyLen:]) != total {
			return nil, time.Time{}, 0, 0, errors.New("a block whose two lengths differ")
		}
		body = body[:bodyLen]
		switch typ {
		case blockInterface:
			if len(body) < 8 {
				return nil, time.Time{}, 0, 0, errors.New("an interface block too short")
			}
			ifc := iface{link: uint32(r.order.Uint16(body[0:2])), snaplen: r.order.Uint32(body[4:8]), unit: 1000}
			r.interfaceOptions(&ifc, body[8:])
			r.ifaces = append(r.ifaces, ifc)
		case blockEnhanced, blockPacketOld:
			var id, hi, lo, caplen, length uint32
			var rest []byte
			if typ == blockEnhanced {
				if len(body) < 20 {
					return nil, time.Time{}, 0, 0, errors.New("a packet block too short")
				}
				id, hi, lo = r.order.Uint32(body[0:4]), r.order.Uint32(body[4:8]), r.order.Uint32(body[8:12])
				caplen, length, rest = r.order.Uint32(body[12:16]), r.order.Uint32(body[16:20]), body[20:]
			} else {
				if len(body) < 20 {
					return nil, time.Time{}, 0, 0, errors.New("a packet block too short")
				}
				id, hi, lo = uint32(r.order.Uint16(body[0:2])), r.order.Uint32(body[4:8]), r.order.Uint32(body[8:12])
				caplen, length, rest = r.order.Uint32(body[12:16]), r.order.Uint32(body[16:20]), body[20:]
			}
			if int(id) >= len(r.ifaces) {
				return nil, time.Time{}, 0, 0, fmt.Errorf("a packet on interface %d, which the file does not describe", id)
			}
			if uint64(caplen) > uint64(len(rest)) {
				return nil, time.Time{}, 0, 0, fmt.Errorf("a packet of %d bytes in a block of %d", caplen, len(rest))
			}
			ifc := r.ifaces[id]
			return rest[:caplen], ifc.time(uint64(hi)<<32 | uint64(lo)), int(length), int(ifc.link), nil
		case blockSimple:
			if len(r.ifaces) == 0 || len(body) < 4 {
				return nil, time.Time{}, 0, 0, errors.New("a simple packet block without an interface")
			}
			length := int(r.order.Uint32(body[0:4]))
			data := body[4:]
			if length < len(data) {
				data = data[:length]
			}
			return data, time.Time{}, length, int(r.ifaces[0].link), nil
		}
		// Other blocks (statistics, name resolution, …) are skipped.
	}
}

// interfaceOptions reads the options of an interface block that matter
// here: if_tsresol, the time unit.
func (r *Reader) interfaceOptions(ifc *iface, opts []byte) {
	for len(opts) >= 4 {
		code, n := r.order.Uint16(opts[0:2]), int(r.order.Uint16(opts[2:4]))
		if code == 0 || 4+n > len(opts) {
			return
		}
		if code == 9 && n >= 1 { // if_tsresol
			v := opts[4]
			switch {
			case v&0x80 != 0 && v&0x7f < 63: // a power of two
				ticks := int64(1) << (v & 0x7f) // per second
				if ticks <= 1e9 {
					ifc.unit, ifc.div = 1e9/ticks, 0
				} else {
					ifc.unit, ifc.div = 0, ticks/1e9
				}
			case v&0x80 == 0 && v <= 18: // a power of ten
				p := int64(1)
				for i := byte(0); i < v; i++ {
					p *= 10
				}
				if p <= 1e9 {
					ifc.unit, ifc.div = 1e9/p, 0
				} else {
					ifc.unit, ifc.div = 0, p/1e9
				}
			}
		}
		opts = opts[4+(n+3)/4*4:]
	}
}

// time is a timestamp in the interface's unit as a time.
func (ifc iface) time(ticks uint64) time.Time {
	var ns int64
	if ifc.unit > 0 {
		ns = int64(ticks) * ifc.unit
	} else if ifc.div > 0 {
		ns = int64(ticks) / ifc.div
	}
	return time.Unix(0, ns).UTC()
}

// Link types.
const (
	linkNull      = 0
	linkEthernet  = 1
	linkRaw       = 101
	linkLoop      = 108
	linkLinuxSLL  = 113
	linkIPv4      = 228
	linkIPv6      = 229
	linkLinuxSLL2 = 276
)

// decode picks a packet's fields out of a frame of link type link.
func decode(frame []byte, link int) Packet {
	p := Packet{Payload: frame}
	ip, etherType := []byte(nil), 0
	switch link {
	case linkEthernet:
		if len(frame) < 14 {
			return p
		}
		etherType, ip = int(binary.BigEndian.Uint16(frame[12:14])), frame[14:]
		for (etherType == 0x8100 || etherType == 0x88a8) && len(ip) >= 4 { // VLAN tags
			etherType, ip = int(binary.BigEndian.Uint16(ip[2:4])), ip[4:]
		}
	case linkLinuxSLL:
		if len(frame) < 16 {
			return p
		}
		etherType, ip = int(binary.BigEndian.Uint16(frame[14:16])), frame[16:]
	case linkLinuxSLL2:
		if len(frame) < 20 {
			return p
		}
		etherType, ip = int(binary.BigEndian.Uint16(frame[0:2])), frame[20:]
	case linkNull, linkLoop:
		if len(frame) < 4 {
			return p
		}
		family := binary.LittleEndian.Uint32(frame[0:4])
		if link == linkLoop || family > 0xffff {
			family = binary.BigEndian.Uint32(frame[0:4])
		}
		switch family {
		case 2:
			etherType = 0x0800
		case 10, 24, 28, 30:
			etherType = 0x86dd
		}
		ip = frame[4:]
	case linkRaw, linkIPv4, linkIPv6, 12, 14:
		ip = frame
		if len(ip) > 0 {
			switch ip[0] >> 4 {
			case 4:
				etherType = 0x0800
			case 6:
				etherType = 0x86dd
			}
		}
	default:
		return p
	}
	switch etherType {
	case 0x0800:
		decodeIPv4(&p, ip)
	case 0x86dd:
		decodeIPv6(&p, ip)
	}
	return p
}

func decodeIPv4(p *Packet, b []byte) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || ihl > len(b) {
		return
	}
	if total >= ihl && total < len(b) {
		b = b[:total] // Ethernet padding is not payload
	}
	p.Family = 4
	p.Src, _ = netip.AddrFromSlice(b[12:16])
	p.Dst, _ = netip.AddrFromSlice(b[16:20])
	proto := b[9]
	p.Proto, p.Payload = protoName(proto), b[ihl:]
	if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return // a later fragment: no transport header
	}
	decodeTransport(p, proto, b[ihl:])
}

func decodeIPv6(p *Packet, b []byte) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return
	}
	payload := int(binary.BigEndian.Uint16(b[4:6]))
	rest := b[40:]
	if payload < len(rest) {
		rest = rest[:payload]
	}
	p.Family = 6
	p.Src, _ = netip.AddrFromSlice(b[8:24])
	p.Dst, _ = netip.AddrFromSlice(b[24:40])
	next := b[6]
	// Extension headers: hop-by-hop, routing, fragment, destination.
	for i := 0; i < 8 && (next == 0 || next == 43 || next == 44 || next == 60); i++ {
		if len(rest) < 8 {
			return
		}
		size := 8
		if next != 44 {
			size = (int(rest[1]) + 1) * 8
		} else if binary.BigEndian.Uint16(rest[2:4])&0xfff8 != 0 {
			p.Proto, p.Payload = protoName(rest[0]), rest[8:]
			return // a later fragment
		}
		if size > len(rest) {
			return
		}
		next, rest = rest[0], rest[size:]
	}
	p.Proto, p.Payload = protoName(next), rest
	decodeTransport(p, next, rest)
}

func protoName(proto byte) string {
	switch proto {
	case 17:
		return "udp"
	case 6:
		return "tcp"
	case 1:
		return "icmp"
	case 58:
		return "icmp6"
	}
	return fmt.Sprint(proto)
}

func decodeTransport(p *Packet, proto byte, b []byte) {
	switch proto {
	case 17:
		if len(b) < 8 {
			return
		}
		p.SrcPort, p.DstPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
		end := int(binary.BigEndian.Uint16(b[4:6]))
		if end < 8 || end > len(b) {
			end = len(b)
		}
		p.Payload = b[8:end]
	case 6:
		if len(b) < 20 {
			return
		}
		off := int(b[12]>>4) * 4
		if off < 20 || off > len(b) {
			return
		}
		p.SrcPort, p.DstPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
		p.Seq, p.Ack = binary.BigEndian.Uint32(b[4:8]), binary.BigEndian.Uint32(b[8:12])
		p.Flags = tcpFlags(b[13])
		p.Payload = b[off:]
	case 1, 58:
		header := 8 // ICMP: type, code, checksum, and 4 bytes of the message's
		if proto == 58 {
			header = 4
		}
		if len(b) < header {
			return
		}
		p.ICMPType, p.ICMPCode, p.Payload = b[0], b[1], b[header:]
	}
}

// tcpFlags names the flags set, in the order of the header's bits.
func tcpFlags(bits byte) string {
	var f []string
	for i, name := range []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"} {
		if bits&(1<<i) != 0 {
			f = append(f, name)
		}
	}
	return strings.Join(f, ",")
}
