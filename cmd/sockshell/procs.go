package main

import (
	"os"
	"runtime"
)

// minProcs is the fewest Ps sockshell runs with. A script waits for the
// network in blocking system calls (see luaapi/sock), and Go's system
// monitor takes the P of a thread blocked in one for more than its 20 µs
// tick whenever no other P is idle: with one P (a process pinned to one
// CPU, or a one-CPU container) every wait of a request and reply exchange
// loses its P and must get one back when its datagram comes. With a
// second P idle the monitor leaves the blocked thread alone (UDP echo
// p50 pinned to one CPU: 82 µs with two Ps, 87 µs with one). A P is not a
// thread: an idle one costs nothing.
const minProcs = 2

// procs is how many Ps to run with, given the runtime's choice and the
// GOMAXPROCS variable: the runtime's, but at least minProcs unless the
// user set GOMAXPROCS.
func procs(current int, env string) int {
	if env != "" || current >= minProcs {
		return current
	}
	return minProcs
}

// setProcs applies procs to the runtime.
func setProcs() {
	cur := runtime.GOMAXPROCS(0)
	if n := procs(cur, os.Getenv("GOMAXPROCS")); n != cur {
		runtime.GOMAXPROCS(n)
	}
}
