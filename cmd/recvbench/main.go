// Command recvbench compares the chapter's UDP receiver written four ways —
// scripts/receiver.lua run by sockshell, the chapter's Python program, a
// pure-Go program and a C program — on the same paced sender, and prints
// the CPU each receiver process spends per datagram, and the ratios. The
// Python program is the chapter's as written (its output is not flushed
// per line), run with a clean environment, as its reader runs it. The C
// program (testdata/chapter_receiver.c, built with cc when there is one) is
// the floor: what taking each datagram as it comes costs with nothing but
// the C library in the way.
//
// Run it from the repository's root:
//
//	go run ./cmd/recvbench [-rate 50000] [-seconds 2] [-rounds 3]
//	go run ./cmd/recvbench -echo [-pings 20000] [-rounds 3]
//
// Flags:
//
//	-rate N       datagrams per second the sender sends (default 50000); 0
//	              sends as fast as it can (with sendmmsg, 64 a call, on
//	              Linux) and reports what each receiver keeps up with, in
//	              datagrams received per second
//	-seconds S    how long each receiver is fed (default 2)
//	-rounds R     rounds; each runs every receiver once, in turn (default 3)
//	-python PATH  the Python interpreter (default /usr/bin/python3, the
//	              system's, where there is one, else python3 from PATH: a
//	              python3 of a version manager's, first in a developer's
//	              PATH, may be a build without the system's optimizations;
//	              skipped if missing)
//	-sockshell P  a sockshell binary (default: built from ./cmd/sockshell)
//	-echo         compare UDP echo servers instead (testdata/echo.lua run by
//	              sockshell, echo.py, echo.c and one in Go): recvbench
//	              sends each a datagram once the reply to the one before
//	              came, and reports the round trip at the median and the
//	              99th percentile, the server process's CPU per echo, and
//	              the ratios
//	-pings N      measured round trips per server and round (default 20000)
//
// Every receiver prints each datagram as the chapter does, to a file whose
// lines recvbench counts once it stopped at "bye". CPU is the receiver
// process's user plus system time, divided by the datagrams it printed;
// the median of the rounds is reported. Datagrams the receiver lost are
// counted and shown. With two CPUs or more and taskset(1) at hand, the
// receiver runs on the last CPU and the sender, with every other thread of
// recvbench's, on the first, so that neither takes the other's time.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// readyHook makes sockshell's listen say on stderr that it is bound.
const readyHook = `local listen0 = listen
listen = function(...)
  local s, err = listen0(...)
  if s then io.stderr:write("ready ", select(2, s:getsockname()), "\n") end
  return s, err
end`

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-serve-go" {
		os.Exit(serveGo())
	}
	if len(os.Args) == 2 && os.Args[1] == "-serve-go-echo" {
		os.Exit(serveGoEcho())
	}
	rate := flag.Int("rate", 50000, "datagrams per second")
	seconds := flag.Float64("seconds", 2, "seconds each receiver is fed")
	rounds := flag.Int("rounds", 3, "rounds")
	python := flag.String("python", systemPython(), "the Python interpreter")
	shell := flag.String("sockshell", "", "a sockshell binary (default: build one)")
	echo := flag.Bool("echo", false, "compare UDP echo servers")
	pings := flag.Int("pings", 20000, "measured round trips per echo server and round")
	flag.Parse()
	var err error
	if *echo {
		err = compareEcho(os.Stdout, max(*pings, 1), *rounds, *python, *shell)
	} else {
		err = compare(os.Stdout, *rate, time.Duration(*seconds*float64(time.Second)), *rounds, *python, *shell)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recvbench:", err)
		os.Exit(1)
	}
}

// systemPython is the system's Python, as the chapter's reader runs it:
// /usr/bin/python3 where it exists, else python3 from PATH.
func systemPython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// receiver is one way of running the chapter's receiver, and what its
// rounds measured.
type receiver struct {
	program
	cpu  []float64 // µs per datagram, one per round
	lost int
}

// program is one of the programs compared: a name and its command line.
type program struct {
	name string
	argv []string
}

// programs are the contestants of a comparison: this binary run with
// goFlag, sockshell running script, Python running pyScript, and the C
// program built from cSrc, each given port 0; Python or C is left out,
// with a word on w, where there is no interpreter or compiler. cleanup
// removes what was built. It also keeps recvbench's threads to the first
// CPU where the contestants get the last.
func programs(w io.Writer, shell, python, goFlag, script, pyScript, cSrc, what string) (progs []program, cleanup func(), err error) {
	shell, cleanShell, err := sockshellBinary(shell)
	if err != nil {
		return nil, nil, err
	}
	cleanup = cleanShell
	self, err := os.Executable()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	progs = []program{
		{"go", []string{self, goFlag}},
		{"sockshell", []string{shell, "-e", readyHook, script, "0"}},
	}
	if path, err := exec.LookPath(python); err == nil {
		progs = append(progs, program{"python", []string{path, pyScript, "0"}})
	} else {
		fmt.Fprintf(w, "(%s not found: no Python %s)\n", python, what)
	}
	if c, err := buildC(cSrc); err == nil {
		cleanup = func() { cleanShell(); os.RemoveAll(filepath.Dir(c)) }
		progs = append(progs, program{"c", []string{c, "0"}})
	} else {
		fmt.Fprintf(w, "(%v: no C %s)\n", err, what)
	}
	if pinned() != nil {
		// Threads made later inherit this from the thread that makes them.
		pinProcessFirstCPU()
	}
	return progs, cleanup, nil
}

// compare runs the rounds and writes the report to w.
func compare(w io.Writer, rate int, feed time.Duration, rounds int, python, shell string) error {
	progs, cleanup, err := programs(w, shell, python, "-serve-go", "scripts/receiver.lua",
		"cmd/recvbench/testdata/chapter_receiver.py", "cmd/recvbench/testdata/chapter_receiver.c", "receiver")
	if err != nil {
		return err
	}
	defer cleanup()
	var rs []*receiver
	for _, p := range progs {
		rs = append(rs, &receiver{program: p})
	}
	if rate <= 0 {
		return flood(w, rs, feed, rounds)
	}
	fmt.Fprintf(w, "%d datagrams/s for %v, %d rounds; CPU µs per datagram:\n", rate, feed, rounds)
	for round := 1; round <= rounds; round++ {
		for _, r := range rs {
			cpu, got, sent, err := runOnce(r.argv, rate, feed)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			r.cpu = append(r.cpu, cpu)
			r.lost += sent - got
			fmt.Fprintf(w, "  round %d %-10s %7.2f µs  (%d of %d received)\n", round, r.name, cpu, got, sent)
		}
	}
	med := map[string]float64{}
	fmt.Fprintln(w, "median:")
	for _, r := range rs {
		med[r.name] = median(r.cpu)
		fmt.Fprintf(w, "  %-10s %7.2f µs/datagram  (%d lost in all)\n", r.name, med[r.name], r.lost)
	}
	fmt.Fprintf(w, "ratio sockshell/go     %.2f\n", med["sockshell"]/med["go"])
	if p, ok := med["python"]; ok {
		fmt.Fprintf(w, "ratio sockshell/python %.2f\n", med["sockshell"]/p)
		fmt.Fprintf(w, "ratio python/go        %.2f\n", p/med["go"])
	}
	if c, ok := med["c"]; ok {
		fmt.Fprintf(w, "ratio sockshell/c      %.2f\n", med["sockshell"]/c)
		if p, ok := med["python"]; ok {
			fmt.Fprintf(w, "ratio c/python         %.2f\n", c/p)
		}
	}
	return nil
}

// sockshellBinary is shell, or when it is "" a sockshell built from
// ./cmd/sockshell into a temporary directory that cleanup removes.
func sockshellBinary(shell string) (path string, cleanup func(), err error) {
	if shell != "" {
		return shell, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "recvbench")
	if err != nil {
		return "", nil, err
	}
	shell = filepath.Join(dir, "sockshell")
	if out, err := exec.Command("go", "build", "-o", shell, "./cmd/sockshell").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build ./cmd/sockshell (run from the repository's root): %v\n%s", err, out)
	}
	return shell, func() { os.RemoveAll(dir) }, nil
}

// buildC compiles the C program src with the system's C compiler into a
// temporary directory and returns the program's path.
func buildC(src string) (string, error) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		return "", errors.New("cc not found")
	}
	dir, err := os.MkdirTemp("", "recvbench-c")
	if err != nil {
		return "", err
	}
	prog := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".c"))
	if out, err := exec.Command(cc, "-O2", "-o", prog, src).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("cc: %v: %s", err, out)
	}
	return prog, nil
}

// runOnce starts a receiver, feeds it at rate for feed, sends bye and
// returns its CPU µs per datagram printed, the datagrams it printed and the
// datagrams sent (bye excluded).
func runOnce(argv []string, rate int, feed time.Duration) (float64, int, int, error) {
	out, err := os.CreateTemp("", "recvbench-out")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd, port, err := startServer(argv, out)
	if err != nil {
		return 0, 0, 0, err
	}
	defer cmd.Process.Kill()
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return 0, 0, 0, err
	}
	defer conn.Close()
	sent := pace(conn, rate, feed)
	if err := stopAtBye(cmd, conn); err != nil {
		return 0, 0, 0, err
	}
	lines, err := countLines(out.Name())
	if err != nil {
		return 0, 0, 0, err
	}
	got := lines - 1 // the bye line
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return float64(cpu.Microseconds()) / float64(max(got, 1)), got, sent, nil
}

// startServer starts a receiver or a server pinned to the last CPU, with
// its standard output to stdout (nil: none) and a clean environment, and
// returns it and the port it says on stderr it is bound to ("ready PORT").
func startServer(argv []string, stdout io.Writer) (*exec.Cmd, int, error) {
	if pin := pinned(); pin != nil {
		argv = append(pin, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = stdout
	// A clean environment, as the chapter's reader runs it: PYTHONUNBUFFERED
	// or the like in ours would change what is measured.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	var port int
	if _, err := fmt.Fscanf(bufio.NewReader(stderr), "ready %d\n", &port); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, 0, fmt.Errorf("no ready line: %v", err)
	}
	go io.Copy(io.Discard, stderr)
	return cmd, port, nil
}

// stopAtBye sends "bye" on conn until the program cmd runs has ended (bye
// may be lost like any datagram), and returns how it ended.
func stopAtBye(cmd *exec.Cmd, conn *net.UDPConn) error {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for try := 0; ; try++ {
		conn.Write([]byte("bye"))
		select {
		case err := <-exited:
			return err
		case <-time.After(time.Second):
			if try == 10 {
				return errors.New("it did not stop at bye")
			}
		}
	}
}

// countLines counts the lines of the file at path.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

// pinned is the command that runs a receiver on the last CPU, or nil
// when there is one CPU or no taskset.
func pinned() []string {
	if runtime.NumCPU() < 2 {
		return nil
	}
	path, err := exec.LookPath("taskset")
	if err != nil {
		return nil
	}
	return []string{path, "-c", strconv.Itoa(runtime.NumCPU() - 1)}
}

// flood feeds each receiver as fast as the sender can for feed, and
// reports how many datagrams a second each received (and printed): what a
// receiver keeps up with when the sender is not paced.
func flood(w io.Writer, rs []*receiver, feed time.Duration, rounds int) error {
	fmt.Fprintf(w, "unpaced for %v, %d rounds; datagrams received per second:\n", feed, rounds)
	rates := map[string][]float64{}
	for round := 1; round <= rounds; round++ {
		for _, r := range rs {
			cpu, got, sent, err := runOnce(r.argv, 0, feed)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			perSecond := float64(got) / feed.Seconds()
			rates[r.name] = append(rates[r.name], perSecond)
			fmt.Fprintf(w, "  round %d %-10s %9.0f /s  (%d of %d received; %.2f µs CPU each)\n", round, r.name, perSecond, got, sent, cpu)
		}
	}
	med := map[string]float64{}
	fmt.Fprintln(w, "median:")
	for _, r := range rs {
		med[r.name] = median(rates[r.name])
		fmt.Fprintf(w, "  %-10s %9.0f datagrams/s\n", r.name, med[r.name])
	}
	fmt.Fprintf(w, "ratio sockshell/go     %.2f\n", med["sockshell"]/med["go"])
	if p, ok := med["python"]; ok {
		fmt.Fprintf(w, "ratio sockshell/python %.2f\n", med["sockshell"]/p)
	}
	if c, ok := med["c"]; ok {
		fmt.Fprintf(w, "ratio sockshell/c      %.2f\n", med["sockshell"]/c)
	}
	return nil
}

// pace sends datagrams at rate per second for d, evenly spaced, and
// returns how many it sent.
func pace(conn *net.UDPConn, rate int, d time.Duration) int {
	// The sender keeps to the first CPU, the receiver to the last.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pinFirstCPU()
	payload := []byte("hello from recvbench 0123456789")
	if rate <= 0 { // unpaced: as fast as the sender can
		send := batchSender(conn, payload, 64)
		start, sent := time.Now(), 0
		for time.Since(start) < d {
			sent += send()
		}
		return sent
	}
	// Each datagram at its own time, 1/rate after the one before, as a
	// sender that paces its sends does: not a burst per timer tick, which
	// a receiver would find queued and take without waking for each.
	// Waits shorter than a timer's reach are spun (this thread has the
	// first CPU to itself).
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	sent := 0
	for {
		due := time.Duration(sent) * interval
		if due > d {
			break
		}
		if wait := due - time.Since(start); wait > 200*time.Microsecond {
			time.Sleep(wait - 100*time.Microsecond)
		}
		for time.Since(start) < due {
		}
		conn.Write(payload)
		sent++
	}
	return sent
}

// serveGo is the chapter's receiver in plain Go: the baseline.
func serveGo() int {
	return serveUDP(func(_ *net.UDPConn, data []byte, from *net.UDPAddr) bool {
		fmt.Fprintf(os.Stdout, "received message:%s from PORT%d on %s\n", data, from.Port, from.IP)
		return strings.EqualFold(string(data), "bye")
	})
}

// serveUDP binds a UDP socket to a free port on every IPv4 interface,
// says which on stderr ("ready PORT"), and gives handle every datagram
// until it reports the last.
func serveUDP(handle func(c *net.UDPConn, data []byte, from *net.UDPAddr) (last bool)) int {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	fmt.Fprintf(os.Stderr, "ready %d\n", c.LocalAddr().(*net.UDPAddr).Port)
	buf := make([]byte, 1024)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if handle(c, buf[:n], from) {
			return 0
		}
	}
}
