package bind

import (
	"context"
	"io"
	"net/netip"

	lua "github.com/yuin/gopher-lua"
)

// Host is what a library may ask of the session it runs in. A library
// package names here everything it needs from the session and reaches it
// through nothing else.
type Host interface {
	// Block runs wait without the session, so that other tasks run
	// meanwhile, then takes the session back for L. wait must not touch
	// Lua; it returns undo when it took something (bytes, a datagram, a
	// connection) that must go back if L is stopped before it can use it.
	Block(L *lua.LState, wait func() (undo func()))
	// BlockWaking is Block for a wait that looks at L's context only now
	// and then unless wake makes it look at once.
	BlockWaking(L *lua.LState, wake func(), wait func() (undo func()))
	// Opening runs open, which opens a socket; when that fails for want
	// of descriptors or of a port, the session closes the sockets Lua can
	// no longer reach and tries once more.
	Opening(open func() error) error
	// Track makes so one of the session's sockets, ud its Lua object:
	// sockets() lists it, and the session closes it when it ends or when
	// the collector takes ud.
	Track(so Socket, ud *lua.LUserData)
	// Tracing reports whether trace is on; Packet records one datagram or
	// stream write (tcp), received (in) or sent, by L, which holds the
	// session (a dissector may decode it there).
	Tracing() bool
	Packet(L *lua.LState, tcp, in bool, local, remote netip.AddrPort, data []byte)
	// StreamEvent records, when tracing, a TCP connection opened
	// (Opened: src the client, dst the server) or the end of src's side
	// (Ended: its FIN), as the socket at local saw it; what words it for
	// trace's line ("connect", "accept", "shutdown", "close", "peer
	// closed"). Both ends may report one event: it is recorded once.
	StreamEvent(ev StreamEvent, src, dst, local netip.AddrPort, what string)
	// CheckNet raises --safe's refusal of what ("connecting to",
	// "binding", "sending to", "joining") host and port, if it refuses.
	CheckNet(L *lua.LState, what, host string, port int)
	// ReadScript reads a Lua file as the session may (--safe's read
	// permissions); Load compiles Lua source as one of the session's
	// chunks.
	ReadScript(path string) ([]byte, error)
	Load(src, name string) (*lua.LFunction, error)
	// OpenFile opens a file for reading as the session may (--safe's
	// read permissions); its error is C's wording, naming the file.
	OpenFile(path string) (io.ReadCloser, error)
	// Bind makes the Lua function of fn, named name: a Go panic in it
	// becomes a Lua error that says so. Document makes help(fn) show d.
	Bind(name string, fn lua.LGFunction) *lua.LFunction
	Document(fn lua.LValue, d *Doc)
}

// StreamEvent is what happened to a TCP connection, for trace.
type StreamEvent int

// The events of a TCP connection.
const (
	Opened StreamEvent = iota
	Ended
)

// Context is the context of the thread L: its chunk's or its task's. A
// blocking call ends when it is done.
func Context(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// Helper is an object whose help() its library words: what it is and its
// methods, given its Lua object.
type Helper interface {
	Help(ud *lua.LUserData) string
}
