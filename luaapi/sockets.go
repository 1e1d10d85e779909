package luaapi

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	open map[socket]weak.Pointer[lua.LUserData]
}

func newRegistry() *registry {
	return &registry{open: map[socket]weak.Pointer[lua.LUserData]{}}
}

// add registers so, whose Lua object is ud.
func (r *registry) add(so socket, ud *lua.LUserData) {
	r.mu.Lock()
	r.open[so] = weak.Make(ud)
	r.mu.Unlock()
	runtime.AddCleanup(ud, r.close, so)
}

// close closes so and forgets it; again does nothing. It closes under
// the lock, so that once sweep has run, every socket the collector found
// is closed, by sweep or by its cleanup.
func (r *registry) close(so socket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	so.shutdown()
	delete(r.open, so)
}

// closeAll closes every socket.
func (r *registry) closeAll() {
	for _, so := range r.sockets() {
		r.close(so)
	}
}

// sockets lists the open sockets, oldest first.
func (r *registry) sockets() []socket {
	r.mu.Lock()
	list := make([]socket, 0, len(r.open))
	for so := range r.open {
		list = append(list, so)
	}
	r.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].base().seq < list[j].base().seq })
	return list
}

// object is so's Lua object, or nil when Lua can no longer reach it.
func (r *registry) object(so socket) *lua.LUserData {
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
			so.shutdown()
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
func (r *registry) holder(proto string, port int) socket {
	for _, so := range r.sockets() {
		if so.localAddr().Port() == uint16(port) && strings.HasPrefix(so.kind(), proto) {
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

// sockSeq numbers sockets in the order they were opened.
var sockSeq atomic.Uint64

// sockState is what every socket object keeps besides its connection: the
// timeout of its blocking calls, whether it is closed, when it was opened
// and its traffic.
type sockState struct {
	conn     io.Closer     // the socket core's connection
	wait     time.Duration // guarded by the baton
	isClosed atomic.Bool
	seq      uint64
	opened   time.Time
	// Traffic: datagrams (or connections accepted) and bytes, in and out.
	countIn, countOut atomic.Uint64
	bytesIn, bytesOut atomic.Uint64
}

func newSockState(conn io.Closer) sockState {
	return sockState{conn: conn, wait: -1, seq: sockSeq.Add(1), opened: time.Now()}
}

// shutdown closes the connection; it reports false if it already was.
func (b *sockState) shutdown() bool {
	if !b.isClosed.CompareAndSwap(false, true) {
		return false
	}
	b.conn.Close()
	return true
}

func (b *sockState) base() *sockState           { return b }
func (b *sockState) timeout() time.Duration     { return b.wait }
func (b *sockState) setTimeout(d time.Duration) { b.wait = d }
func (b *sockState) closed() bool               { return b.isClosed.Load() }

// received and sent count traffic.
func (b *sockState) received(n int) { b.countIn.Add(1); b.bytesIn.Add(uint64(n)) }
func (b *sockState) sent(n int)     { b.countOut.Add(1); b.bytesOut.Add(uint64(n)) }

// suffix is what tostring adds for a closed socket.
func (b *sockState) suffix() string {
	if b.closed() {
		return ", closed"
	}
	return ""
}

var registryFuncs = []libFunc{
	{&bind.Doc{
		Name:    "sockets",
		Forms:   []string{"sockets()"},
		Summary: "Lists the session's open sockets, oldest first, with their traffic; `:sockets` at the prompt shows the same. A socket that no variable holds any more is closed when the garbage collector finds it (`collectgarbage()` forces that).",
		Returns: "a list of sockets (each can be closed: `sockets()[1]:close()`), which prints (and shows at the prompt) one line per socket: kind, address, peer, age in seconds, and datagrams (or connections) and bytes in and out.",
		Errors:  "None.",
		Example: `local s = listen(0, "127.0.0.1")
print(#sockets() >= 1)  --> true
s:close()`,
	}, (*Session).lSockets},
}

func (s *Session) lSockets(L *lua.LState) int {
	list := L.NewTable()
	var b strings.Builder
	for _, so := range s.sockets.sockets() {
		ud := s.sockets.object(so)
		if ud == nil || so.closed() {
			continue
		}
		list.Append(ud)
		st := so.base()
		peer := so.peer()
		if peer == "" {
			peer = "-"
		}
		fmt.Fprintf(&b, "%-10s %-22s %-22s %6.0fs  in %d/%dB  out %d/%dB\n", so.kind(), so.localAddr(), peer,
			time.Since(st.opened).Seconds(), st.countIn.Load(), st.bytesIn.Load(), st.countOut.Load(), st.bytesOut.Load())
	}
	if b.Len() == 0 {
		b.WriteString("no open sockets\n")
	}
	L.Push(listing(L, list, b.String()))
	return 1
}

// listing gives list a __tostring of text: a list that prints (and shows
// at the prompt) as the table it is.
func listing(L *lua.LState, list *lua.LTable, text string) *lua.LTable {
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(text))
		return 1
	}))
	L.SetMetatable(list, mt)
	return list
}
