package capture

import (
	"io"
	"net/netip"
	"strings"
	"time"
)

// Conversation is one UDP flow or TCP connection of a capture, as its
// client saw it: what each side said, in turns.
type Conversation struct {
	Proto          string // "udp" or "tcp"
	Client, Server netip.AddrPort
	Turns          []Turn
	// Opened and Closed tell whether the capture holds the TCP
	// connection's handshake and a FIN.
	Opened, Closed bool
}

// Turn is what one side said before the other spoke: one datagram, or a
// TCP side's bytes (its segments in order, each byte once).
type Turn struct {
	FromClient bool
	Time       time.Time
	Data       []byte
}

type flowKey struct {
	proto    string
	src, dst netip.AddrPort
}

// tcpSide follows one direction of a TCP connection: the sequence number
// of the next byte not yet taken, once known.
type tcpSide struct {
	next  uint32
	known bool
}

type assembly struct {
	conv  *Conversation
	sides map[bool]*tcpSide // by FromClient
}

// Conversations reads r's UDP flows and TCP connections that keep
// passes. The client of a TCP connection is the side that sent its SYN
// (or, when the capture starts after it, the side that spoke first); of a
// UDP flow, the side that sent first. TCP's retransmissions and overlaps
// are dropped, so each byte counts once. grow is told of the bytes kept
// as they grow, and may stop the reading with an error.
func Conversations(r *Reader, keep Filter, grow func(n int) error) ([]*Conversation, error) {
	var list []*Conversation
	byFlow := map[flowKey]*assembly{}
	for {
		p, err := r.Next()
		if err == io.EOF {
			return list, nil
		}
		if err != nil {
			return list, err
		}
		if p.Proto != "udp" && p.Proto != "tcp" || keep != nil && !keep(p) {
			continue
		}
		src := netip.AddrPortFrom(p.Src, p.SrcPort)
		dst := netip.AddrPortFrom(p.Dst, p.DstPort)
		a, fromClient := byFlow[flowKey{p.Proto, src, dst}], true
		if a == nil {
			a, fromClient = byFlow[flowKey{p.Proto, dst, src}], false
		}
		startsNew := p.Proto == "tcp" && p.Flags == "SYN"
		if a == nil || startsNew && a.conv.Opened && fromClient {
			// A new conversation: a SYN, or the first packet seen of it.
			// A SYN-ACK first means the capture missed the SYN: its
			// sender is the server.
			client, server := src, dst
			if p.Proto == "tcp" && p.Flags == "SYN,ACK" {
				client, server = dst, src
			}
			if p.Proto == "tcp" && a == nil && len(p.Payload) == 0 && !startsNew && p.Flags != "SYN,ACK" {
				continue // an ACK or a FIN of a connection the capture joined late
			}
			a = &assembly{conv: &Conversation{Proto: p.Proto, Client: client, Server: server}, sides: map[bool]*tcpSide{true: {}, false: {}}}
			list = append(list, a.conv)
			byFlow[flowKey{p.Proto, client, server}] = a
			delete(byFlow, flowKey{p.Proto, server, client})
			fromClient = src == client
		}
		c := a.conv
		data := p.Payload
		if p.Proto == "tcp" {
			side := a.sides[fromClient]
			if hasFlag(p.Flags, "SYN") {
				side.next, side.known = p.Seq+1, true
				c.Opened = c.Opened || fromClient
				continue
			}
			if !side.known {
				side.next, side.known = p.Seq, true
			}
			// Keep only the bytes from side.next on: a retransmission
			// or an overlap repeats what was taken already.
			if off := int32(side.next - p.Seq); off > 0 {
				if int(off) >= len(data) {
					data = nil
				} else {
					data = data[off:]
				}
			} else if off < 0 {
				// A gap: bytes the capture missed. Take what there is.
				side.next = p.Seq
			}
			side.next += uint32(len(data))
			if hasFlag(p.Flags, "FIN") {
				side.next++
				c.Closed = true
			}
			if len(data) == 0 {
				continue
			}
		}
		if grow != nil {
			if err := grow(len(data) + 64); err != nil {
				return list, err
			}
		}
		if n := len(c.Turns); p.Proto == "tcp" && n > 0 && c.Turns[n-1].FromClient == fromClient {
			c.Turns[n-1].Data = append(c.Turns[n-1].Data, data...)
			continue
		}
		c.Turns = append(c.Turns, Turn{FromClient: fromClient, Time: p.Time, Data: append([]byte(nil), data...)})
	}
}

// hasFlag reports whether the comma-separated flags hold flag.
func hasFlag(flags, flag string) bool {
	for _, f := range strings.Split(flags, ",") {
		if f == flag {
			return true
		}
	}
	return false
}
