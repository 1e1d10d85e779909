package luaapi

import (
	"fmt"
	"io"
	"strings"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// tourStep is one step of tour(): what to know, and the line to run.
type tourStep struct{ text, line string }

// tourSteps walk through the chapter at the prompt, on loopback.
var tourSteps = []tourStep{
	{"The chapter's receiver binds UDP port 5000 and prints every datagram until one says bye. Run it as a task, so that the prompt stays yours:",
		`r = bg("receiver", 5000)`},
	{"Send it a datagram, as the chapter's sender does. What it receives prints above the prompt, with the port the datagram came from:",
		`sendto("hello", "127.0.0.1", 5000)`},
	{"The receiver is a task that waits for the next datagram:",
		`r`},
	{"It stops at bye, in any case:",
		`sendto("BYE", "127.0.0.1", 5000)`},
	{"Its task is done now:",
		`r.status`},
	{"The host's name, its IP address and the MAC address of the interface that carries it, as the chapter finds them:",
		`hostinfo()`},
	{"An address ending in 255 is a broadcast address: every host of the network receives what is sent there. On loopback that is 127.255.255.255. Start a receiver on another port:",
		`r = bg("receiver", 5001)`},
	{"Broadcast to it: the datagram goes to the broadcast address, and the receiver, bound to every address, gets it:",
		`sendto("to everyone", "127.255.255.255", 5001)`},
	{"See the traffic itself: trace shows every datagram the session's sockets send or receive (trace.save writes it for Wireshark):",
		`trace(true)`},
	{"Now the receiver's bye shows twice, sent and received:",
		`sendto("bye", "127.0.0.1", 5001)`},
	{"Stop the trace:",
		`trace(false)`},
	{"That is the chapter. help() lists everything there is, ?name explains one, Tab completes names, and scripts/ holds the receiver, the sender and more to read.",
		""},
}

var tourFuncs = []libFunc{
	{&bind.Doc{
		Name:    "tour",
		Forms:   []string{"tour([step])"},
		Summary: "Walks through the chapter at the prompt, one step at a time: each call shows what to know and the line to run next (a receiver task, the sender, bye, hostinfo, a broadcast on loopback, a trace).",
		Args:    []bind.Arg{{Name: "step", Meaning: "the step to show, from 1 (default: the next)"}},
		Returns: "nothing; it prints.",
		Errors:  "A step out of range raises.",
		Example: `tour(1)`,
	}, (*Session).lTour},
}

func (s *Session) lTour(L *lua.LState) int {
	if L.Get(1) != lua.LNil {
		s.tourAt = bind.Args{L: L, Fn: "tour"}.IntIn(1, L.Get(1), "step", 1, len(tourSteps)) - 1
	}
	if s.tourAt >= len(tourSteps) {
		io.WriteString(s.stdout, "The tour is finished. tour(1) starts it again; help() lists everything there is.\n")
		return 0
	}
	step := tourSteps[s.tourAt]
	var b strings.Builder
	b.WriteString(bind.Wrap("", fmt.Sprintf("Step %d of %d. %s", s.tourAt+1, len(tourSteps), step.text), s.width(), ""))
	if step.line != "" {
		fmt.Fprintf(&b, "    %s\n", step.line)
		b.WriteString("(then tour() again)\n")
	}
	s.tourAt++
	io.WriteString(s.stdout, b.String())
	return 0
}
