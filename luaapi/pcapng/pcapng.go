// Package pcapng writes captures in the pcapng format (IETF draft
// "PCAP Next Generation Dump File Format") that Wireshark and tshark read:
// one section, one Ethernet interface, and a packet block per frame. It
// makes the frames too: traffic seen at the socket level (a datagram, a
// chunk of a TCP stream, a connection opened or closed) becomes Ethernet
// frames with IPv4 or IPv6 and UDP or TCP headers whose lengths and
// checksums are valid, TCP's handshake and FINs made up as TCP sends them,
// and its sequence numbers counting each direction's bytes. It knows
// nothing of Lua.
package pcapng

import (
	"encoding/binary"
	"io"
	"net/netip"
	"time"
)

// Packet is one unit of traffic as a socket saw it: a datagram, a chunk
// of a TCP stream, or a TCP connection's opening or one side's end.
type Packet struct {
	Time     time.Time
	TCP      bool
	Kind     Kind
	Src, Dst netip.AddrPort
	Data     []byte
}

// Kind is what a Packet stands for.
type Kind int

// The kinds of Packet. A connection's opening and end are written as the
// segments TCP exchanges for them, so that a capture shows the handshake
// and the close, and tshark follows the stream from its start.
const (
	// Data is a datagram, or a chunk of a stream from Src to Dst.
	Data Kind = iota
	// Open is a TCP connection from Src, the client, to Dst, the server:
	// SYN, SYN-ACK and ACK.
	Open
	// Close is Src's end of its side of a TCP connection: FIN from Src,
	// and Dst's ACK.
	Close
)

// Block types and options.
const (
	blockSHB     = 0x0A0D0D0A
	blockIDB     = 0x00000001
	blockEPB     = 0x00000006
	byteOrder    = 0x1A2B3C4D
	linkEthernet = 1
	optIfName    = 2 // if_name
	optTsResol   = 9 // if_tsresol
	optEnd       = 0
)

// Writer writes a pcapng capture.
type Writer struct {
	w   io.Writer
	seq map[flow]uint32 // next TCP sequence number of each direction
}

type flow struct{ src, dst netip.AddrPort }

// NewWriter writes the section header and the interface to w.
func NewWriter(w io.Writer) (*Writer, error) {
	pw := &Writer{w: w, seq: map[flow]uint32{}}
	shb := make([]byte, 0, 28)
	shb = binary.LittleEndian.AppendUint32(shb, byteOrder)
	shb = binary.LittleEndian.AppendUint16(shb, 1) // major
	shb = binary.LittleEndian.AppendUint16(shb, 0) // minor
	shb = binary.LittleEndian.AppendUint64(shb, ^uint64(0))
	if err := pw.block(blockSHB, shb); err != nil {
		return nil, err
	}
	idb := make([]byte, 0, 20)
	idb = binary.LittleEndian.AppendUint16(idb, linkEthernet)
	idb = binary.LittleEndian.AppendUint16(idb, 0)      // reserved
	idb = binary.LittleEndian.AppendUint32(idb, 262144) // snap length
	// if_name: the interface is sockshell's sockets, not a device.
	const ifName = "sockshell sockets"
	idb = binary.LittleEndian.AppendUint16(idb, optIfName)
	idb = binary.LittleEndian.AppendUint16(idb, uint16(len(ifName)))
	idb = append(idb, ifName...)
	idb = append(idb, make([]byte, (4-len(ifName)%4)%4)...)
	// if_tsresol 9: nanoseconds.
	idb = binary.LittleEndian.AppendUint16(idb, optTsResol)
	idb = binary.LittleEndian.AppendUint16(idb, 1)
	idb = append(idb, 9, 0, 0, 0)
	idb = binary.LittleEndian.AppendUint16(idb, optEnd)
	idb = binary.LittleEndian.AppendUint16(idb, 0)
	if err := pw.block(blockIDB, idb); err != nil {
		return nil, err
	}
	return pw, nil
}

// block writes a block: type, total length, body padded to 32 bits, and
// the total length again.
func (pw *Writer) block(typ uint32, body []byte) error {
	pad := (4 - len(body)%4) % 4
	total := uint32(12 + len(body) + pad)
	out := make([]byte, 0, total)
	out = binary.LittleEndian.AppendUint32(out, typ)
	out = binary.LittleEndian.AppendUint32(out, total)
	out = append(out, body...)
	out = append(out, make([]byte, pad)...)
	out = binary.LittleEndian.AppendUint32(out, total)
	_, err := pw.w.Write(out)
	return err
}

// Write writes p as Ethernet frames: one for Data, three for Open, two for
// Close.
func (pw *Writer) Write(p Packet) error {
	for _, frame := range pw.Frames(p) {
		ts := uint64(p.Time.UnixNano())
		epb := make([]byte, 0, 20+len(frame))
		epb = binary.LittleEndian.AppendUint32(epb, 0) // interface 0
		epb = binary.LittleEndian.AppendUint32(epb, uint32(ts>>32))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(ts))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(len(frame)))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(len(frame)))
		epb = append(epb, frame...)
		if err := pw.block(blockEPB, epb); err != nil {
			return err
		}
	}
	return nil
}

// TCP flags.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagPSH = 0x08
	flagACK = 0x10
)

// Frames builds p's Ethernet frames. TCP's sequence numbers start at 0
// for each direction's SYN, so that its data counts from 1; data segments
// carry PSH and ACK, with an acknowledgement of what the other side has
// sent; a FIN takes one number, as in TCP.
func (pw *Writer) Frames(p Packet) [][]byte {
	src, dst := unmap(p.Src), unmap(p.Dst)
	if !p.TCP {
		l4 := make([]byte, 8, 8+len(p.Data))
		binary.BigEndian.PutUint16(l4[0:], src.Port())
		binary.BigEndian.PutUint16(l4[2:], dst.Port())
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(p.Data)))
		return [][]byte{frame(src, dst, 17, append(l4, p.Data...))}
	}
	fwd, rev := flow{src, dst}, flow{dst, src}
	segment := func(from, to netip.AddrPort, seq, ack uint32, flags byte, data []byte) []byte {
		return frame(from, to, 6, append(tcpHeader(from.Port(), to.Port(), seq, ack, flags), data...))
	}
	switch p.Kind {
	case Open:
		pw.seq[fwd], pw.seq[rev] = 0, 0
		return [][]byte{
			segment(src, dst, 0, 0, flagSYN, nil),
			segment(dst, src, 0, 1, flagSYN|flagACK, nil),
			segment(src, dst, 1, 1, flagACK, nil),
		}
	case Close:
		seq, ack := pw.seq[fwd]+1, pw.seq[rev]+1
		pw.seq[fwd]++
		return [][]byte{
			segment(src, dst, seq, ack, flagFIN|flagACK, nil),
			segment(dst, src, ack, seq+1, flagACK, nil),
		}
	}
	seq, ack := pw.seq[fwd]+1, pw.seq[rev]+1
	pw.seq[fwd] += uint32(len(p.Data))
	return [][]byte{segment(src, dst, seq, ack, flagPSH|flagACK, p.Data)}
}

// frame is an Ethernet frame of IP (of src's family) carrying l4, a UDP
// or TCP segment whose checksum it fills in.
func frame(src, dst netip.AddrPort, proto byte, l4 []byte) []byte {
	sum := checksum(pseudoHeader(src.Addr(), dst.Addr(), proto, len(l4)), l4)
	if proto == 6 {
		binary.BigEndian.PutUint16(l4[16:], sum)
	} else {
		if sum == 0 {
			sum = 0xffff // 0 means "no checksum" in UDP
		}
		binary.BigEndian.PutUint16(l4[6:], sum)
	}
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1} // dst, src: locally administered
	if src.Addr().Is4() {
		eth = append(eth, 0x08, 0x00)
		return append(append(eth, ipv4Header(src.Addr(), dst.Addr(), proto, len(l4))...), l4...)
	}
	eth = append(eth, 0x86, 0xdd)
	return append(append(eth, ipv6Header(src.Addr(), dst.Addr(), proto, len(l4))...), l4...)
}

// unmap makes an IPv4-mapped IPv6 address IPv4, so that both ends of a
// frame are of one family.
func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func tcpHeader(sport, dport uint16, seq, ack uint32, flags byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12] = 5 << 4 // header length: 5 words
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 65535) // window
	return h
}

func ipv4Header(src, dst netip.Addr, proto byte, payload int) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+payload))
	h[6] = 0x40 // don't fragment
	h[8] = 64   // TTL
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	binary.BigEndian.PutUint16(h[10:], checksum(nil, h))
	return h
}

func ipv6Header(src, dst netip.Addr, proto byte, payload int) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(payload))
	h[6] = proto
	h[7] = 64 // hop limit
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return h
}

// pseudoHeader is what UDP and TCP checksums cover besides their segment.
func pseudoHeader(src, dst netip.Addr, proto byte, length int) []byte {
	var p []byte
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		p = append(append(p, s[:]...), d[:]...)
		p = append(p, 0, proto)
		return binary.BigEndian.AppendUint16(p, uint16(length))
	}
	s, d := src.As16(), dst.As16()
	p = append(append(p, s[:]...), d[:]...)
	p = binary.BigEndian.AppendUint32(p, uint32(length))
	return append(p, 0, 0, 0, proto)
}

// checksum is the Internet checksum (RFC 1071) of a then b; a has an
// even length.
func checksum(a, b []byte) uint16 {
	var sum uint32
	add := func(data []byte) {
		for i := 0; i+1 < len(data); i += 2 {
			sum += uint32(data[i])<<8 | uint32(data[i+1])
		}
		if len(data)%2 == 1 {
			sum += uint32(data[len(data)-1]) << 8
		}
	}
	add(a)
	add(b)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
