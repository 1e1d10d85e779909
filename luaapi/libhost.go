package luaapi

import (
	"errors"
	"io"
	"net/netip"
	"os"

	lua "github.com/yuin/gopher-lua"

	"github.com/sockshell/sockshell/luaapi/bind"
	"github.com/sockshell/sockshell/luaapi/pcapng"
)

// sessionHost is the session as the library packages see it (bind.Host).
type sessionHost struct{ s *Session }

var _ bind.Host = sessionHost{}

func (h sessionHost) Block(L *lua.LState, wait func() (undo func())) { h.s.sched.block(L, wait) }

func (h sessionHost) BlockWaking(L *lua.LState, wake func(), wait func() (undo func())) {
	h.s.sched.blockWaking(L, wake, wait)
}

func (h sessionHost) Opening(open func() error) error { return h.s.opening(open) }

func (h sessionHost) Track(so bind.Socket, ud *lua.LUserData) { h.s.sockets.add(so, ud) }

func (h sessionHost) Tracing() bool { return h.s.tracer.active.Load() }

func (h sessionHost) Packet(L *lua.LState, tcp, in bool, local, remote netip.AddrPort, data []byte) {
	h.s.packet(L, tcp, in, local, remote, data)
}

func (h sessionHost) StreamEvent(ev bind.StreamEvent, src, dst, local netip.AddrPort, what string) {
	kind := pcapng.Open
	if ev == bind.Ended {
		kind = pcapng.Close
	}
	h.s.tcpEvent(kind, src, dst, local, what)
}

func (h sessionHost) CheckNet(L *lua.LState, what, host string, port int) {
	if h.s.sandbox != nil {
		h.s.netDenied(L, what, host, port)
	}
}

func (h sessionHost) ReadScript(path string) ([]byte, error) { return h.s.readScript(path) }

func (h sessionHost) OpenFile(path string) (io.ReadCloser, error) {
	var f *os.File
	var err error
	if h.s.sandbox != nil {
		f, err = h.s.sandbox.openFile(path, os.O_RDONLY, 0)
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, errors.New(fileError(path, err)) // "path: No such file or directory", as io.open says
	}
	return f, nil
}

func (h sessionHost) Load(src, name string) (*lua.LFunction, error) { return h.s.LoadSource(src, name) }

func (h sessionHost) Bind(name string, fn lua.LGFunction) *lua.LFunction {
	return h.s.bind(libFunc{&bind.Doc{Name: name}, func(_ *Session, L *lua.LState) int { return fn(L) }})
}

func (h sessionHost) Document(fn lua.LValue, d *bind.Doc) { h.s.docsByFn[fn] = d }
