package main

import (
	"os"
	"runtime"
)

// minProcs is the fewest Ps sockshell runs with. A script waits for the
// network in blocking system calls (see luaapi/sock), and Go's system
// monitor takes the P of a thread blocked in one whenever no other P is
// idle: with one P (a process pinned to one CPU, or a one-CPU container)
// it then wakes every 20 µs while a receive loop runs, and takes the P
// back and forth — an eighth of the CPU a datagram costs. With a second P
// idle it leaves the blocked thread alone and sleeps. A P is not a
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
