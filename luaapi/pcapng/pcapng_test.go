package pcapng

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

func capture(t *testing.T, packets []Packet) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packets {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "capture.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tshark reads what the writer writes: addresses, ports, payloads, valid
// checksums and a TCP stream it can follow.
func TestTsharkReadsIt(t *testing.T) {
	tshark := testenv.Need(t, "tshark", "tshark")
	at := time.Unix(1700000000, 123456789)
	a4, b4 := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:5000")
	a6, b6 := netip.MustParseAddrPort("[::1]:40001"), netip.MustParseAddrPort("[::1]:5001")
	c, s := netip.MustParseAddrPort("127.0.0.1:40002"), netip.MustParseAddrPort("127.0.0.1:6000")
	path := capture(t, []Packet{
		{Time: at, Src: a4, Dst: b4, Data: []byte("hello")},
		{Time: at, Src: b4, Dst: a4, Data: []byte("odd")}, // odd length: checksum padding
		{Time: at, Src: a6, Dst: b6, Data: []byte("over ipv6")},
		{Time: at, TCP: true, Src: c, Dst: s, Data: []byte("GET / HTTP/1.0\r\n")},
		{Time: at, TCP: true, Src: s, Dst: c, Data: []byte("HTTP/1.0 200 OK\r\n")},
		{Time: at, TCP: true, Src: c, Dst: s, Data: []byte("more\n")},
		{Time: at, TCP: true, Src: netip.MustParseAddrPort("[::ffff:127.0.0.1]:40003"), Dst: s, Data: []byte("mapped")},
	})
	out, err := exec.Command(tshark, "-r", path,
		"-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=|",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.ack",
		"-e", "data.data", "-e", "_ws.expert.severity", "-e", "frame.time_epoch", "-e", "tcp.payload").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		"127.0.0.1||40000||||hello",
		"127.0.0.1||5000||||odd",
		"|::1|40001||||over ipv6",
		"127.0.0.1|||40002|1|1|GET / HTTP/1.0\r\n",
		"127.0.0.1|||6000|1|17|HTTP/1.0 200 OK\r\n",
		"127.0.0.1|||40002|17|18|more\n",
		"127.0.0.1|||40003|1|1|mapped",
	}
	if len(lines) != len(want) {
		t.Fatalf("tshark read %d frames:\n%s", len(lines), out)
	}
	for i, line := range lines {
		f := strings.Split(line, "|")
		payload, _ := hex.DecodeString(f[6] + f[9])
		got := strings.Join(f[:6], "|") + "|" + string(payload)
		if got != want[i] {
			t.Errorf("frame %d: %q, want %q", i+1, got, want[i])
		}
		if f[7] != "" && f[7] != "2097152" { // chat (e.g. HTTP) only; no warnings or errors
			t.Errorf("frame %d: expert severity %s: %s", i+1, f[7], line)
		}
		if !strings.HasPrefix(f[8], "1700000000.123456789") {
			t.Errorf("frame %d: time %s", i+1, f[8])
		}
	}
}
