package sock

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A bound UDP socket's receive buffer is as large as the system lets a
// program ask for, up to RecvBuffer (Linux doubles what it grants), unless
// its default is larger, so that a burst waits to be read instead of being
// dropped.
func TestListenRaisesReceiveBuffer(t *testing.T) {
	sysctl := func(name string) int {
		b, err := os.ReadFile("/proc/sys/net/core/" + name)
		if err != nil {
			t.Skip("no /proc/sys/net/core:", err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(name, err)
		}
		return n
	}
	// A socket starts with rmem_default; asked for more, Linux grants
	// twice what rmem_max allows.
	want := sysctl("rmem_default")
	if RecvBuffer > want {
		want = 2 * min(RecvBuffer, sysctl("rmem_max"))
	}
	c, err := ListenUDP(context.Background(), "127.0.0.1", 0, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.Option("rcvbuf"); err != nil || got != want {
		t.Errorf("rcvbuf = %d, %v; want %d", got, err, want)
	}
	// What a script sets still wins.
	if err := c.SetReadBuffer(65536); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Option("rcvbuf"); got != 2*65536 {
		t.Errorf("rcvbuf after setting 65536 = %d", got)
	}
}
