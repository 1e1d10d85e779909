package testenv

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Capture is a real capturing program (tcpdump or tshark) writing what it
// sees on a network interface to a file, for tests of what reads
// captures.
type Capture struct {
	t      testing.TB
	cmd    *exec.Cmd
	marker int // the UDP port of the datagram that marks the end
	log    syncLog
	marked chan struct{}
}

// StartCapture runs program ("tcpdump" or "tshark") on iface ("lo",
// "any"), writing the packets filter (a capture filter) passes to file,
// and returns once it captures. Capturing needs root: without it the test
// ends, skipped outside CI.
func StartCapture(t testing.TB, program, iface, filter, file string) *Capture {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "capturing on "+iface+" needs root")
	}
	path := Need(t, program, program)
	marker, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := marker.LocalAddr().(*net.UDPAddr).Port
	marker.Close()
	filter = fmt.Sprintf("(%s) or udp port %d", filter, port)
	// Each prints every packet as it writes it (-l: line by line), so that
	// the marker's line says the program has seen everything before it.
	var argv []string
	if program == "tcpdump" {
		argv = []string{"-i", iface, "-n", "-l", "-U", "-w", file, "--print", filter}
	} else {
		argv = []string{"-i", iface, "-n", "-l", "-P", "-w", file, "-f", filter}
	}
	c := &Capture{t: t, cmd: exec.Command(path, argv...), marker: port, marked: make(chan struct{})}
	stderr, _ := c.cmd.StderrPipe()
	stdout, _ := c.cmd.StdoutPipe()
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	ready := make(chan struct{})
	go c.watch(stderr, []string{"listening on", "Capture started"}, ready)
	go c.watch(stdout, []string{"length 11", "Len=11"}, c.marked) // "capture end"
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start capturing:\n%s", program, c.log.String())
	}
	return c
}

// watch keeps r's lines for a failure's message and closes seen at the
// first that holds one of want.
func (c *Capture) watch(r io.Reader, want []string, seen chan struct{}) {
	sc := bufio.NewScanner(r)
	closed := false
	for sc.Scan() {
		c.log.add(sc.Text())
		for _, w := range want {
			if !closed && strings.Contains(sc.Text(), w) {
				closed = true
				close(seen)
			}
		}
	}
}

// Stop sends the marking datagram, waits until the program has seen it
// (and so every packet before it), and stops the program, which then
// finishes its file.
func (c *Capture) Stop() {
	c.t.Helper()
	conn, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", c.marker))
	if err != nil {
		c.t.Fatal(err)
	}
	conn.Write([]byte("capture end"))
	conn.Close()
	select {
	case <-c.marked:
	case <-time.After(30 * time.Second):
		c.t.Fatalf("the capture did not see its last datagram:\n%s", c.log.String())
	}
	c.stop()
}

func (c *Capture) stop() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Signal(syscall.SIGINT)
		c.cmd.Wait()
	}
}

// MarkerPort is the UDP port of the datagram that marks the capture's
// end, which the capture holds too.
func (c *Capture) MarkerPort() int { return c.marker }

// syncLog keeps a program's output for a failure's message.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
