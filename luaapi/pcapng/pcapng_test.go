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

// A connection with its opening and both ends: tshark sees the handshake
// and the FINs, with no warning about sequence numbers, and follows the
// stream; the interface has a name.
func TestTsharkFollowsTheStream(t *testing.T) {
	tshark := testenv.Need(t, "tshark", "tshark")
	at := time.Unix(1700000000, 0)
	c, s := netip.MustParseAddrPort("127.0.0.1:40002"), netip.MustParseAddrPort("127.0.0.1:6000")
	path := capture(t, []Packet{
		{Time: at, TCP: true, Kind: Open, Src: c, Dst: s},
		{Time: at, TCP: true, Src: c, Dst: s, Data: []byte("ping\n")},
		{Time: at, TCP: true, Src: s, Dst: c, Data: []byte("pong\n")},
		{Time: at, TCP: true, Kind: Close, Src: c, Dst: s},
		{Time: at, TCP: true, Src: s, Dst: c, Data: []byte("bye\n")},
		{Time: at, TCP: true, Kind: Close, Src: s, Dst: c},
	})
	out, err := exec.Command(tshark, "-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "tcp.relative_sequence_numbers:FALSE",
		"-T", "fields", "-E", "separator=|", "-e", "tcp.flags.str", "-e", "tcp.seq", "-e", "tcp.ack", "-e", "_ws.expert.severity",
		"-e", "frame.interface_name").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var flags []string
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		flags = append(flags, strings.Trim(strings.ReplaceAll(f[0], "·", ""), " ")+" "+f[1]+" "+f[2])
		// Chat (the handshake, FINs) and notes ("connection finish") are
		// what a real capture has; a warning or an error is not.
		for _, sev := range strings.Split(f[3], ",") {
			if sev != "" && sev != "2097152" && sev != "4194304" {
				t.Errorf("frame %d: expert severity %s: %s", i+1, sev, line)
			}
		}
		if f[4] != "sockshell sockets" {
			t.Errorf("frame %d: interface %q", i+1, f[4])
		}
	}
	want := []string{"S 0 0", "AS 0 1", "A 1 1", "AP 1 1", "AP 1 6", "AF 6 6", "A 6 7", "AP 6 7", "AF 10 7", "A 7 11"}
	if strings.Join(flags, "|") != strings.Join(want, "|") {
		t.Errorf("flags, seq, ack:\n%s\nwant\n%s", strings.Join(flags, "\n"), strings.Join(want, "\n"))
	}
	follow, err := exec.Command(tshark, "-r", path, "-q", "-z", "follow,tcp,ascii,0").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, follow)
	}
	for _, want := range []string{"Node 0: 127.0.0.1:40002", "Node 1: 127.0.0.1:6000", "5\nping\n", "\t5\npong\n", "\t4\nbye\n"} {
		if !strings.Contains(string(follow), want) {
			t.Errorf("tshark follow lacks %q:\n%s", want, follow)
		}
	}
}
