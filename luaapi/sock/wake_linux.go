package sock

import "golang.org/x/sys/unix"

// pid is this process's, for wakeThread.
var pid = unix.Getpid()

// threadID is the calling thread's id, for wakeThread.
func threadID() int32 { return int32(unix.Gettid()) }

// wakeThread interrupts a read that the thread tid of this process waits
// in: a signal cuts short a read of a socket with a receive timeout (it
// returns EINTR), and SIGURG is the one the Go runtime sends itself to
// preempt goroutines, which it takes in stride when nothing asked for it.
func wakeThread(tid int32) { unix.Tgkill(pid, int(tid), unix.SIGURG) }
