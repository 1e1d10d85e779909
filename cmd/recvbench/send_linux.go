package main

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr: a message header and the length sent.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// batchSender returns a function that sends payload n times on the
// connected conn with one sendmmsg(2) and returns how many the kernel
// took.
func batchSender(conn *net.UDPConn, payload []byte, n int) func() int {
	iov := unix.Iovec{Base: &payload[0]}
	iov.SetLen(len(payload))
	hdrs := make([]mmsghdr, n)
	for i := range hdrs {
		hdrs[i].hdr.Iov = &iov
		hdrs[i].hdr.SetIovlen(1)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return func() int { return 0 }
	}
	return func() int { return sendBatch(rc, hdrs) }
}

// sendBatch sends hdrs' messages on rc's socket, waiting while its
// buffer is full.
func sendBatch(rc syscall.RawConn, hdrs []mmsghdr) int {
	n := len(hdrs)
	sent := 0
	rc.Write(func(fd uintptr) bool {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), 0, 0, 0)
		if e == unix.EAGAIN {
			return false
		}
		if e == 0 {
			sent = int(r)
		}
		return true
	})
	return sent
}

// pinFirstCPU keeps the calling thread to the first CPU.
func pinFirstCPU() {
	var set unix.CPUSet
	set.Set(0)
	unix.SchedSetaffinity(0, &set)
}

// pinProcessFirstCPU keeps every thread of this process to the first CPU
// (the threads it makes later inherit that), so that none of recvbench's
// own work — its runtime, the goroutines that wait for a receiver — runs
// on the receivers' CPU.
func pinProcessFirstCPU() {
	var set unix.CPUSet
	set.Set(0)
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			unix.SchedSetaffinity(tid, &set)
		}
	}
}
