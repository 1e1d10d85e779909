package luaapi

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
	"weak"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// registry is the session's list of open sockets. It holds each socket's
// Lua object only weakly: a socket that Lua code can no longer reach (a
// loop that forgot close, a chunk stopped by Ctrl-C) is closed when the
// garbage collector finds it, and the rest are closed when the session
// ends. Any goroutine may use it.
type registry struct {
	mu   sync.Mutex
	open map[bind.Socket]weak.Pointer[lua.LUserData]
}

func newRegistry() *registry {
	return &registry{open: map[bind.Socket]weak.Pointer[lua.LUserData]{}}
}

// add registers so, whose Lua object is ud.
func (r *registry) add(so bind.Socket, ud *lua.LUserData) {
	r.mu.Lock()
	r.open[so] = weak.Make(ud)
	r.mu.Unlock()
	runtime.AddCleanup(ud, r.close, so)
}

// close closes so and forgets it; again does nothing. It closes under
// the lock, so that once sweep has run, every socket the collector found
// is closed, by sweep or by its cleanup.
func (r *registry) close(so bind.Socket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	so.Shutdown()
	delete(r.open, so)
}

// closeAll closes every socket.
func (r *registry) closeAll() {
	for _, so := range r.sockets() {
		r.close(so)
	}
}

// sockets lists the open sockets, oldest first.
func (r *registry) sockets() []bind.Socket {
	r.mu.Lock()
	list := make([]bind.Socket, 0, len(r.open))
	for so := range r.open {
		list = append(list, so)
	}
	r.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].State().Seq() < list[j].State().Seq() })
	return list
}

// object is so's Lua object, or nil when Lua can no longer reach it.
func (r *registry) object(so bind.Socket) *lua.LUserData {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.open[so].Value()
}

// sweep closes the sockets whose Lua objects the garbage collector has
// found unreachable (their cleanups may not have run yet) and reports how
// many it closed.
func (r *registry) sweep() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for so, ud := range r.open {
		if ud.Value() == nil {
			so.Shutdown()
			delete(r.open, so)
			n++
		}
	}
	return n
}

// reclaim collects garbage and closes the sockets nothing can reach.
func (r *registry) reclaim() int {
	runtime.GC()
	return r.sweep()
}

// holder is the open socket of this session bound to port with proto
// ("udp" or "tcp"), if there is one.
func (r *registry) holder(proto string, port int) bind.Socket {
	for _, so := range r.sockets() {
		if so.LocalAddr().Port() == uint16(port) && strings.HasPrefix(so.Kind(), proto) {
			return so
		}
	}
	return nil
}

// opening runs open, which opens a socket; when that fails for want of
// descriptors or on a port in use, it closes the sockets Lua can no longer
// reach (they may hold the descriptors, or the port) and tries once more.
func (s *Session) opening(open func() error) error {
	err := open()
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.EADDRINUSE) {
		// The collector's cleanups may have closed some meanwhile, so
		// try again even when the sweep itself closed none.
		s.sockets.reclaim()
		err = open()
	}
	return err
}

// inUse is the message for a port in use, naming this session's socket
// when it is one of them.
func (s *Session) inUse(err error, proto, host string, port int) string {
	if errors.Is(err, syscall.EADDRINUSE) && port != 0 {
		if so := s.sockets.holder(proto, port); so != nil {
			return fmt.Sprintf("address already in use: %s (this session holds it: %s; sockets() lists the open sockets, s:close() frees one)",
				bindTarget(proto, host, port), so)
		}
	}
	return bind.Failure(err, bindTarget(proto, host, port))
}

// sockState is what every native socket object keeps besides its
// connection: the session's view (bind.SockState) and the timeout of its
// blocking calls.
type sockState struct {
	bind.SockState
	wait time.Duration // guarded by the baton
}

func newSockState(conn io.Closer) sockState {
	return sockState{SockState: bind.NewSockState(conn), wait: -1}
}

func (b *sockState) timeout() time.Duration     { return b.wait }
func (b *sockState) setTimeout(d time.Duration) { b.wait = d }

var registryFuncs = []libFunc{
	{&bind.Doc{
		Name:    "sockets",
		Forms:   []string{"sockets()"},
		Summary: "Lists the session's open sockets, oldest first, with their traffic; `:sockets` at the prompt shows the same. A socket that no variable holds any more is closed when the garbage collector finds it (`collectgarbage()` forces that).",
		Returns: "a list of sockets (each can be closed: `sockets()[1]:close()`), which prints (and shows at the prompt) one line per socket: kind, address, peer, age in seconds, and, in and out, how many datagrams (a stream: reads and writes; a listener: connections) and bytes, as they crossed the network.",
		Errors:  "None.",
		Example: `local s = listen(0, "127.0.0.1")
print(#sockets() >= 1)  --> true
s:close()`,
	}, (*Session).lSockets},
}

func (s *Session) lSockets(L *lua.LState) int {
	list := L.NewTable()
	rows := [][]string{{"KIND", "LOCAL", "PEER", "AGE", "IN", "OUT"}}
	for _, so := range s.sockets.sockets() {
		ud := s.sockets.object(so)
		if ud == nil || so.Closed() {
			continue
		}
		list.Append(ud)
		countIn, bytesIn, countOut, bytesOut := so.State().Traffic()
		peer := so.Peer()
		if peer == "" {
			peer = "-"
		}
		rows = append(rows, []string{so.Kind(), so.LocalAddr().String(), peer,
			fmt.Sprintf("%.0fs", time.Since(so.State().Opened()).Seconds()),
			fmt.Sprintf("%d/%dB", countIn, bytesIn), fmt.Sprintf("%d/%dB", countOut, bytesOut)})
	}
	text := "no open sockets\n"
	if len(rows) > 1 {
		text = columns(rows, 3, 4, 5)
	}
	L.Push(listing(L, list, text))
	return 1
}

// columns lays rows out in columns as wide as their widest cell, the
// first row a header; the columns numbered in right are aligned right
// (numbers). Cells are separated by two spaces.
func columns(rows [][]string, right ...int) string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			switch {
			case slices.Contains(right, i):
				line.WriteString(pad + cell)
			case i < len(row)-1:
				line.WriteString(cell + pad)
			default:
				line.WriteString(cell)
			}
			if i < len(row)-1 {
				line.WriteString("  ")
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

// listing gives list a __tostring of text: a list that prints (and shows
// at the prompt) as the table it is.
func listing(L *lua.LState, list *lua.LTable, text string) *lua.LTable {
	mt := L.NewTable()
	text = strings.TrimSuffix(text, "\n") // print and the prompt end the line
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(text))
		return 1
	}))
	L.SetMetatable(list, mt)
	return list
}
