package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sort"
	"strings"
	"time"
)

// echoServer is one way of running a UDP echo server, and what its rounds
// measured: round trip µs at the median and the 99th percentile, and the
// server process's CPU µs per echo.
type echoServer struct {
	program
	p50, p99, cpu []float64
}

// compareEcho runs the echo comparison (-echo) and writes its report to w:
// each server answers pings measured round trips, after a twentieth as
// many unmeasured ones, from a client on the first CPU, in turn, for each
// round.
func compareEcho(w io.Writer, pings, rounds int, python, shell string) error {
	progs, cleanup, err := programs(w, shell, python, "-serve-go-echo", "cmd/recvbench/testdata/echo.lua",
		"cmd/recvbench/testdata/echo.py", "cmd/recvbench/testdata/echo.c", "server")
	if err != nil {
		return err
	}
	defer cleanup()
	var servers []*echoServer
	for _, p := range progs {
		servers = append(servers, &echoServer{program: p})
	}
	warmup := max(pings/20, 1)
	fmt.Fprintf(w, "UDP echo, %d round trips after %d unmeasured, %d rounds; round trip µs, and the server's CPU µs per echo:\n", pings, warmup, rounds)
	for round := 1; round <= rounds; round++ {
		for _, s := range servers {
			p50, p99, cpu, lost, err := echoOnce(s.argv, warmup, pings)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.p50, s.p99, s.cpu = append(s.p50, p50), append(s.p99, p99), append(s.cpu, cpu)
			fmt.Fprintf(w, "  round %d %-10s p50 %7.1f  p99 %7.1f  CPU %6.2f µs  (%d lost)\n", round, s.name, p50, p99, cpu, lost)
		}
	}
	type figures struct{ p50, p99, cpu float64 }
	med := map[string]figures{}
	fmt.Fprintln(w, "median:")
	for _, s := range servers {
		f := figures{median(s.p50), median(s.p99), median(s.cpu)}
		med[s.name] = f
		fmt.Fprintf(w, "  %-10s p50 %7.1f  p99 %7.1f  CPU %6.2f µs\n", s.name, f.p50, f.p99, f.cpu)
	}
	ratio := func(a, b string) {
		x, okx := med[a]
		y, oky := med[b]
		if okx && oky {
			fmt.Fprintf(w, "ratio %-16s p50 %.2f  p99 %.2f  CPU %.2f\n", a+"/"+b, x.p50/y.p50, x.p99/y.p99, x.cpu/y.cpu)
		}
	}
	ratio("sockshell", "python")
	ratio("c", "python")
	ratio("sockshell", "c")
	ratio("sockshell", "go")
	return nil
}

// median is the middle of v (which it sorts).
func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

// echoOnce starts an echo server, measures pings round trips after warmup
// unmeasured ones, sends bye and returns the median and 99th percentile
// round trip in µs, the server's CPU µs per echo and how many round trips
// were lost (a reply that did not come within a second).
func echoOnce(argv []string, warmup, pings int) (p50, p99, cpu float64, lost int, err error) {
	cmd, port, err := startServer(argv, nil)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer cmd.Process.Kill()
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer conn.Close()
	rtts, lost := ping(conn, warmup, pings)
	if len(rtts) == 0 {
		return 0, 0, 0, lost, errors.New("no reply came")
	}
	if err := stopAtBye(cmd, conn); err != nil {
		return 0, 0, 0, 0, err
	}
	used := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	sort.Float64s(rtts)
	return rtts[len(rtts)/2], rtts[len(rtts)*99/100], float64(used.Microseconds()) / float64(warmup+pings), lost, nil
}

// ping sends warmup and then pings datagrams on conn, each once the reply
// to the one before came (or a second passed), from the first CPU, and
// returns the measured round trips in µs and how many replies did not come.
func ping(conn *net.UDPConn, warmup, pings int) (rtts []float64, lost int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pinFirstCPU()
	payload := []byte(strings.Repeat("p", 64))
	reply := make([]byte, 1024)
	rtts = make([]float64, 0, pings)
	for i := 0; i < warmup+pings; i++ {
		conn.SetReadDeadline(time.Now().Add(time.Second))
		start := time.Now()
		if _, err := conn.Write(payload); err != nil {
			lost++
			continue
		}
		if _, err := conn.Read(reply); err != nil {
			lost++
			continue
		}
		if i >= warmup {
			rtts = append(rtts, float64(time.Since(start).Nanoseconds())/1e3)
		}
	}
	return rtts, lost
}

// serveGoEcho is the echo server in plain Go.
func serveGoEcho() int {
	return serveUDP(func(c *net.UDPConn, data []byte, from *net.UDPAddr) bool {
		if strings.EqualFold(string(data), "bye") {
			return true
		}
		c.WriteToUDP(data, from)
		return false
	})
}
