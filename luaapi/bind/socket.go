package bind

import (
	"io"
	"net/netip"
	"sync/atomic"
	"time"
)

// Socket is a socket object as the session keeps it, whichever library
// made it: sockets() lists it, show() and trace name it, and the session
// closes it when it ends or when the collector takes its Lua object.
type Socket interface {
	// Shutdown closes its connection; it reports false if it already was.
	Shutdown() bool
	Closed() bool
	// State is its counters, number and age (SockState).
	State() *SockState
	LocalAddr() netip.AddrPort
	// Kind is what sockets() shows in its first column ("udp",
	// "tcp-listen", "tcp{client}"); Peer the other end, or "".
	Kind() string
	Peer() string
	String() string
}

// Shower is a Socket that words its own line of show(), given its
// traffic: "tcp{client} 127.0.0.1:41778 -> 127.0.0.1:8080, 2 in, 1 out".
type Shower interface {
	Show(in, out uint64) string
}

// sockSeq numbers sockets in the order they were opened.
var sockSeq atomic.Uint64

// SockState is what every socket object keeps besides its connection:
// whether it is closed, its number in the order of opening, when it was
// opened and its traffic. Its methods are safe from any goroutine.
type SockState struct {
	conn     io.Closer
	isClosed atomic.Bool
	seq      uint64
	opened   time.Time
	// Traffic: datagrams (or connections accepted) and bytes, in and out.
	countIn, countOut atomic.Uint64
	bytesIn, bytesOut atomic.Uint64
}

// NewSockState is the state of a socket just opened, whose connection
// Shutdown closes.
func NewSockState(conn io.Closer) SockState {
	return SockState{conn: conn, seq: sockSeq.Add(1), opened: time.Now()}
}

// Shutdown closes the connection; it reports false if it already was.
func (b *SockState) Shutdown() bool {
	if !b.isClosed.CompareAndSwap(false, true) {
		return false
	}
	b.conn.Close()
	return true
}

// State is b itself, so that a socket embedding it has the method.
func (b *SockState) State() *SockState { return b }

// Closed reports whether Shutdown was called.
func (b *SockState) Closed() bool { return b.isClosed.Load() }

// Received counts a datagram, connection or read of n bytes in; Sent one
// out.
func (b *SockState) Received(n int) { b.countIn.Add(1); b.bytesIn.Add(uint64(n)) }

// Sent counts a datagram or write of n bytes out.
func (b *SockState) Sent(n int) { b.countOut.Add(1); b.bytesOut.Add(uint64(n)) }

// Traffic is what was counted: datagrams (or reads, writes, connections
// accepted) and bytes, in and out.
func (b *SockState) Traffic() (countIn, bytesIn, countOut, bytesOut uint64) {
	return b.countIn.Load(), b.bytesIn.Load(), b.countOut.Load(), b.bytesOut.Load()
}

// Seq numbers the socket among those of the process, in the order they
// were opened.
func (b *SockState) Seq() uint64 { return b.seq }

// Opened is when the socket was opened.
func (b *SockState) Opened() time.Time { return b.opened }

// Suffix is what tostring adds for a closed socket.
func (b *SockState) Suffix() string {
	if b.Closed() {
		return ", closed"
	}
	return ""
}
