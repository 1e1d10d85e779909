//go:build !linux

package main

import "net"

// batchSender returns a function that sends payload n times on conn,
// one write each, and returns how many went.
func batchSender(conn *net.UDPConn, payload []byte, n int) func() int {
	return func() int {
		sent := 0
		for range n {
			if _, err := conn.Write(payload); err == nil {
				sent++
			}
		}
		return sent
	}
}

// pinFirstCPU does nothing where affinity is not Linux's.
func pinFirstCPU() {}

// pinProcessFirstCPU does nothing where affinity is not Linux's.
func pinProcessFirstCPU() {}
