package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// startAnnouncing starts a script that prints "... port N" as its first
// line once it listens, and returns the port.
func startAnnouncing(t *testing.T, args ...string) (*started, int) {
	t.Helper()
	cmd := command(args...)
	p := &started{cmd: cmd, stdout: nil, done: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		defer close(p.done)
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		first <- line
		io.Copy(io.Discard, r)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case line := <-first:
		m := regexp.MustCompile(`port (\d+)\n$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first line %q; stderr %q", line, p.stderr.String())
		}
		var port int
		fmt.Sscan(m[1], &port)
		return p, port
	case <-time.After(30 * time.Second):
		t.Fatal("the script did not start listening")
	}
	return nil, 0
}

// chatClient is one member of the room, driven by the test.
type chatClient struct {
	conn  *net.TCPConn
	name  string // as the server names it: ip:port
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func joinChat(t *testing.T, port int) *chatClient {
	t.Helper()
	c, err := net.DialTCP("tcp", nil, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	cc := &chatClient{conn: c, name: c.LocalAddr().String(), more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			cc.mu.Lock()
			cc.lines = append(cc.lines, sc.Text())
			cc.mu.Unlock()
			select {
			case cc.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return cc
}

// joinStalled joins the room with a connection that never reads, with a
// small receive buffer, so that the server's writes to it stall soon.
func joinStalled(t *testing.T, port int) *net.TCPConn {
	t.Helper()
	c, err := net.DialTCP("tcp", nil, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadBuffer(4096)
	return c
}

// waitLines waits, until a deadline, for cond to hold over the lines seen.
func (cc *chatClient) waitLines(t *testing.T, what string, cond func([]string) bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		cc.mu.Lock()
		ok := cond(cc.lines)
		n := len(cc.lines)
		cc.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-cc.more:
		case <-deadline:
			t.Fatalf("%s: %s not reached after %d lines", cc.name, what, n)
		}
	}
}

// waitJoins waits until the client has heard n others join: then all are
// members.
func (cc *chatClient) waitJoins(t *testing.T, n int) {
	t.Helper()
	cc.waitLines(t, "all joins", func(lines []string) bool {
		joins := 0
		for _, l := range lines {
			if strings.HasSuffix(l, " joined") {
				joins++
			}
		}
		return joins == n
	})
}

// chats returns the chat lines (not notices) a client received.
func (cc *chatClient) chats() []string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var out []string
	for _, l := range cc.lines {
		if !strings.HasPrefix(l, "* ") {
			out = append(out, l)
		}
	}
	return out
}

func countChats(lines []string) int {
	n := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "* ") {
			n++
		}
	}
	return n
}

// The chat room with 100 clients: every message reaches every other
// client exactly once, in the order its sender sent them; clients that
// vanish abruptly, even mid-line, do not break the room.
func TestChatRoom(t *testing.T) {
	_, port := startAnnouncing(t, "scripts/chat_server.lua", "0")
	const members, rounds = 100, 5
	clients := make([]*chatClient, members)
	for i := range clients {
		clients[i] = joinChat(t, port)
	}
	// The first client hears every later one join: then all are members.
	clients[0].waitJoins(t, members-1)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < rounds; k++ {
				fmt.Fprintf(c.conn, "message %d from client %d\n", k, i)
			}
		}()
	}
	wg.Wait()
	want := rounds * (members - 1)
	for _, c := range clients {
		c.waitLines(t, "every message", func(lines []string) bool { return countChats(lines) >= want })
	}
	line := regexp.MustCompile(`^(\S+): message (\d+) from client (\d+)$`)
	for i, c := range clients {
		chats := c.chats()
		if len(chats) != want {
			t.Fatalf("client %d got %d chat lines, want %d", i, len(chats), want)
		}
		next := map[string]int{} // sender -> next message number
		for _, l := range chats {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("client %d got %q", i, l)
			}
			sender := m[3]
			if sender == fmt.Sprint(i) {
				t.Fatalf("client %d got its own message %q", i, l)
			}
			if m[1] != clients[atoi(sender)].name {
				t.Fatalf("message %q is not prefixed with its sender's address %s", l, clients[atoi(sender)].name)
			}
			if m[2] != fmt.Sprint(next[sender]) {
				t.Fatalf("client %d: from %s got message %s, want %d", i, sender, m[2], next[sender])
			}
			next[sender]++
		}
	}

	// Ten clients vanish abruptly: half a line, then a reset.
	for _, c := range clients[members-10:] {
		c.conn.Write([]byte("half a li"))
		c.conn.SetLinger(0)
		c.conn.Close()
	}
	survivors := clients[:members-10]
	for _, c := range survivors {
		c.waitLines(t, "the leavers' notices", func(lines []string) bool {
			left := 0
			for _, l := range lines {
				if strings.HasSuffix(l, " left") {
					left++
				}
			}
			return left >= 10
		})
	}
	fmt.Fprintf(survivors[0].conn, "/nick first\n")
	fmt.Fprintf(survivors[0].conn, "still here?\n")
	for _, c := range survivors[1:] {
		c.waitLines(t, "the last message", func(lines []string) bool {
			return len(lines) > 0 && lines[len(lines)-1] == "first: still here?"
		})
	}
	// A newcomer is welcome.
	late := joinChat(t, port)
	fmt.Fprintf(late.conn, "/nick late\nhello\n")
	survivors[0].waitLines(t, "the newcomer", func(lines []string) bool {
		return len(lines) > 0 && lines[len(lines)-1] == "late: hello"
	})
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// The echo server answers UDP datagrams and TCP lines on one port.
func TestEchoServer(t *testing.T) {
	_, port := startAnnouncing(t, "scripts/echo_server.lua", "0")
	u, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Write([]byte("datagram \x00 bytes"))
	u.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100)
	n, err := u.Read(buf)
	if err != nil || string(buf[:n]) != "datagram \x00 bytes" {
		t.Fatalf("udp echo %q, %v", buf[:n], err)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "line one\nline two\n")
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, want := range []string{"line one\n", "line two\n"} {
		if got, err := r.ReadString('\n'); got != want || err != nil {
			t.Fatalf("tcp echo %q, %v", got, err)
		}
	}
	// A client that sends no line end is cut off once it passes the line
	// limit, rather than fill the server's memory.
	hog, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	hog.SetDeadline(time.Now().Add(20 * time.Second))
	chunk := bytes.Repeat([]byte("x"), 64*1024)
	sent := 0
	for sent < 64<<20 {
		n, err := hog.Write(chunk)
		sent += n
		if err != nil {
			break
		}
	}
	if sent >= 64<<20 {
		t.Fatalf("the server took %d bytes without a line end", sent)
	}
	// The other client is served still.
	fmt.Fprintf(c, "line three\n")
	if got, err := r.ReadString('\n'); got != "line three\n" || err != nil {
		t.Fatalf("tcp echo after the hog %q, %v", got, err)
	}
}

// chat_client.lua sends what is typed and prints what the room says, both
// at once.
func TestChatClient(t *testing.T) {
	_, port := startAnnouncing(t, "scripts/chat_server.lua", "0")
	peer := joinChat(t, port)
	cmd := command("scripts/chat_client.lua", "127.0.0.1", fmt.Sprint(port))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The peer hears the client join, learns its name, and the two talk.
	var name string
	peer.waitLines(t, "the client's join", func(ls []string) bool {
		for _, l := range ls {
			if m := regexp.MustCompile(`^\* (\S+) joined$`).FindStringSubmatch(l); m != nil {
				name = m[1]
				return true
			}
		}
		return false
	})
	io.WriteString(stdin, "hello from the script\n")
	peer.waitLines(t, "the client's line", func(ls []string) bool {
		return len(ls) > 0 && ls[len(ls)-1] == name+": hello from the script"
	})
	fmt.Fprintf(peer.conn, "hello back\n")
	select {
	case l := <-lines:
		if l != peer.name+": hello back" {
			t.Errorf("client printed %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the client printed nothing")
	}
	stdin.Close() // Ctrl-D: the client leaves
	peer.waitLines(t, "the client's leaving", func(ls []string) bool {
		return len(ls) > 0 && ls[len(ls)-1] == "* "+name+" left"
	})
	if err := cmd.Wait(); err != nil {
		t.Errorf("client: %v", err)
	}
}

// A member that never reads cannot stall the room: it is dropped once a
// write to it makes no progress for 2 s, and every line of the 50 others
// reaches every other active member.
func TestChatRoomStalledMember(t *testing.T) {
	_, port := startAnnouncing(t, "scripts/chat_server.lua", "0")
	stalled := joinStalled(t, port)
	const members, rounds = 50, 10
	clients := make([]*chatClient, members)
	for i := range clients {
		clients[i] = joinChat(t, port)
	}
	clients[0].waitJoins(t, members-1)
	// Rounds of one line from every active member, each round delivered
	// before the next: an active member is never more than a round (49
	// KB) behind, while the stalled one falls behind by all of it.
	pad := strings.Repeat("x", 1000)
	for k := 0; k < rounds; k++ {
		for i, c := range clients {
			fmt.Fprintf(c.conn, "message %d from client %d %s\n", k, i, pad)
		}
		for _, c := range clients {
			c.waitLines(t, fmt.Sprintf("round %d", k), func(lines []string) bool { return countChats(lines) >= (k+1)*(members-1) })
		}
	}
	want := rounds * (members - 1)
	dropped := stalled.LocalAddr().String() + " dropped (no progress for 2 s: it stopped reading)"
	for i, c := range clients {
		c.waitLines(t, "every message and the drop", func(lines []string) bool {
			return countChats(lines) >= want && slices.Contains(lines, "* "+dropped)
		})
		if n := len(c.chats()); n != want {
			t.Errorf("client %d got %d chat lines, want %d", i, n, want)
		}
	}
}

// A burst does not drop a member that reads: one member pastes 20 000
// lines (4 MB) at once; the member that reads all along receives every
// line, and only the member that never reads is dropped.
func TestChatRoomBurst(t *testing.T) {
	_, port := startAnnouncing(t, "scripts/chat_server.lua", "0")
	stalled := joinStalled(t, port)
	paster, reader := joinChat(t, port), joinChat(t, port)
	paster.waitJoins(t, 1)
	var burst strings.Builder
	const lines = 20000
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&burst, "line %05d %s\n", i, strings.Repeat("x", 190))
	}
	if _, err := paster.conn.Write([]byte(burst.String())); err != nil {
		t.Fatal(err)
	}
	dropped := "* " + stalled.LocalAddr().String() + " dropped ("
	reader.waitLines(t, "every line and the drop", func(got []string) bool {
		return countChats(got) >= lines && slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, dropped) })
	})
	chats := reader.chats()
	if len(chats) != lines {
		t.Fatalf("the reader got %d lines, want %d", len(chats), lines)
	}
	for i, l := range chats {
		if want := fmt.Sprintf("%s: line %05d ", paster.name, i); !strings.HasPrefix(l, want) {
			t.Fatalf("line %d is %.40q, want %q…", i, l, want)
		}
	}
	for _, l := range reader.lines {
		if strings.HasPrefix(l, "* ") && strings.Contains(l, " dropped (") && !strings.HasPrefix(l, dropped) {
			t.Errorf("a member that reads was dropped: %s", l)
		}
	}
}

// Out of descriptors, the echo and chat servers back off (5 ms doubling
// to 1 s) instead of spinning on accept, and serve again once descriptors
// are free.
func TestServersBackOffWhenOutOfDescriptors(t *testing.T) {
	for _, tc := range []struct {
		script, first, name string
		served              func(t *testing.T, port int)
	}{
		{"scripts/echo_server.lua", "echo on udp and tcp port %d\n", "echo_server", func(t *testing.T, port int) {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(c, "still here\n")
			if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "still here\n" {
				t.Fatalf("echo after the flood: %q, %v", line, err)
			}
		}},
		{"scripts/chat_server.lua", "chat room on port %d\n", "chat_server", func(t *testing.T, port int) {
			a := joinChat(t, port)
			b := joinChat(t, port)
			a.waitLines(t, "the newcomer", func(lines []string) bool { return slices.Contains(lines, "* "+b.name+" joined") })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", `ulimit -n 40 && exec "$0" "$1" 0`, binary, tc.script)
			cmd.Dir = repoRoot
			out, _ := cmd.StdoutPipe()
			errOut, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			var port int
			if _, err := fmt.Fscanf(bufio.NewReader(out), tc.first, &port); err != nil {
				t.Fatal(err)
			}
			// Far more clients than descriptors: the accepts beyond fail.
			var conns []net.Conn
			for range 60 {
				c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			// The failures come with growing waits up to 1 s: a handful
			// of lines, not a spin.
			lines := bufio.NewScanner(errOut)
			var seen []string
			deadline := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
			defer deadline.Stop()
			for lines.Scan() {
				seen = append(seen, lines.Text())
				if strings.HasSuffix(lines.Text(), "(trying again in 1 s)") {
					break
				}
			}
			if len(seen) == 0 || !strings.HasSuffix(seen[len(seen)-1], "(trying again in 1 s)") || len(seen) > 12 {
				t.Fatalf("accept failures logged:\n%s", strings.Join(seen, "\n"))
			}
			if !strings.HasPrefix(seen[0], tc.name+": accept: ") || !strings.Contains(seen[0], "too many open files") ||
				!strings.HasSuffix(seen[0], "(trying again in 0.005 s)") {
				t.Errorf("first failure: %q", seen[0])
			}
			// Descriptors free again: a new client is served.
			for _, c := range conns {
				c.Close()
			}
			go io.Copy(io.Discard, errOut)
			tc.served(t, port)
		})
	}
}
