package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/sockshell/sockshell/internal/testenv"
)

// hosts is a small network of the test's own: network namespaces with veth
// pairs on one bridge, which lives in a namespace too, so that nothing
// touches the machine's own network. Only its addresses are used.
type hosts struct {
	t      *testing.T
	ipCmd  string // the ip command's path
	bridge string
	names  []string // namespace of host i+1, addressed 10.213.7.(i+1)/24
}

const subnet = "10.213.7"

func (h *hosts) ip(args ...string) string {
	h.t.Helper()
	out, err := exec.Command(h.ipCmd, args...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newHosts builds n hosts, or skips (fails in CI) where it cannot.
func newHosts(t *testing.T, n int) *hosts {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "network namespaces need root")
	}
	id := fmt.Sprintf("ss%d", os.Getpid())
	h := &hosts{t: t, ipCmd: testenv.Need(t, "ip", "iproute2"), bridge: id + "br"}
	t.Cleanup(func() {
		for _, ns := range append(h.names, h.bridge) {
			exec.Command(h.ipCmd, "netns", "del", ns).Run()
		}
	})
	h.ip("netns", "add", h.bridge)
	h.ip("-n", h.bridge, "link", "add", "br0", "type", "bridge")
	h.ip("-n", h.bridge, "link", "set", "br0", "up")
	for i := 1; i <= n; i++ {
		ns := fmt.Sprintf("%sh%d", id, i)
		h.names = append(h.names, ns)
		veth, port := fmt.Sprintf("v%d", i), fmt.Sprintf("b%d", i)
		h.ip("netns", "add", ns)
		h.ip("link", "add", "name", veth, "netns", ns, "type", "veth", "peer", "name", port, "netns", h.bridge)
		h.ip("-n", h.bridge, "link", "set", port, "master", "br0")
		h.ip("-n", h.bridge, "link", "set", port, "up")
		h.ip("-n", ns, "addr", "add", fmt.Sprintf("%s.%d/24", subnet, i), "dev", veth)
		h.ip("-n", ns, "link", "set", veth, "up")
		h.ip("-n", ns, "link", "set", "lo", "up")
	}
	return h
}

// on makes a sockshell command that runs on host i.
func (h *hosts) on(i int, args ...string) *exec.Cmd {
	cmd := exec.Command(h.ipCmd, append([]string{"netns", "exec", h.names[i-1], binary}, args...)...)
	cmd.Dir = repoRoot
	return cmd
}

// mac is the MAC address of host i's interface.
func (h *hosts) mac(i int) string {
	out := h.ip("-n", h.names[i-1], "-o", "link", "show", fmt.Sprintf("v%d", i))
	m := regexp.MustCompile(`link/ether ([0-9a-f:]{17})`).FindStringSubmatch(out)
	if m == nil {
		h.t.Fatalf("no MAC in %q", out)
	}
	return m[1]
}

// The chapter's broadcast across hosts: a datagram to the subnet's .255
// address reaches the receivers on the other hosts; hostinfo() on a host
// reports that host's address and MAC.
func TestBroadcastAcrossHosts(t *testing.T) {
	h := newHosts(t, 3)
	rx2, _ := startReadyCmd(t, h.on(2, "-e", readyHook, "scripts/receiver.lua", "6000"))
	rx3, _ := startReadyCmd(t, h.on(3, "-e", readyHook, "scripts/receiver.lua", "6000"))
	bcast := subnet + ".255"
	for _, msg := range []string{"hello, everyone", "bye"} {
		if r := runCmd(t, h.on(1, "scripts/sender.lua", msg, bcast, "6000"), ""); r.code != 0 {
			t.Fatalf("sender on host 1: %+v", r)
		}
	}
	for i, rx := range []*started{rx2, rx3} {
		if code := rx.wait(t); code != 0 {
			t.Errorf("receiver on host %d exited %d", i+2, code)
		}
		lines := strings.Split(strings.TrimSpace(rx.stdout.String()), "\n")
		re := regexp.MustCompile(`^received message:(.*) from PORT\d+ on ` + regexp.QuoteMeta(subnet+".1") + `$`)
		if len(lines) != 2 || re.FindStringSubmatch(lines[0]) == nil || re.FindStringSubmatch(lines[0])[1] != "hello, everyone" ||
			re.FindStringSubmatch(lines[1]) == nil {
			t.Errorf("receiver on host %d printed %q", i+2, lines)
		}
	}

	// scripts/broadcast.lua finds the subnet's broadcast address itself.
	rx2, _ = startReadyCmd(t, h.on(2, "-e", readyHook, "scripts/receiver.lua", "6000"))
	r := runCmd(t, h.on(1, "scripts/broadcast.lua", "bye", "6000"), "")
	if r.code != 0 || !strings.Contains(r.stdout, "v1       "+subnet+".1/24") || !strings.Contains(r.stdout, "-> "+bcast+":6000  sent") {
		t.Errorf("broadcast.lua: %+v", r)
	}
	if code := rx2.wait(t); code != 0 || !strings.HasPrefix(rx2.stdout.String(), "received message:bye from PORT") {
		t.Errorf("receiver after broadcast.lua: exit %d, %q", code, rx2.stdout.String())
	}

	// Multicast: host 3 joins a group; host 1 sends to it; host 2, which
	// did not join, hears nothing.
	for i := 1; i <= 3; i++ {
		h.ip("-n", h.names[i-1], "route", "add", "224.0.0.0/4", "dev", fmt.Sprintf("v%d", i))
	}
	member, _ := startReadyCmd(t, h.on(3, "-e", readyHook, "-e",
		`local s = listen{port = 6001, reuseaddr = true} assert(s:join("239.1.2.3", "v3")) print(s:recvfrom(100, 10))`))
	outsider, _ := startReadyCmd(t, h.on(2, "-e", readyHook, "-e",
		`local s = listen{port = 6001, reuseaddr = true} print(s:recvfrom(100, 0.5))`))
	if r := runCmd(t, h.on(1, "-e", `print(sendto("to the group", "239.1.2.3", 6001))`), ""); r.code != 0 || r.stdout != "12\n" {
		t.Fatalf("multicast sender: %+v", r)
	}
	if code := member.wait(t); code != 0 || !regexp.MustCompile(`^to the group\t`+regexp.QuoteMeta(subnet+".1")+`\t\d+\n$`).MatchString(member.stdout.String()) {
		t.Errorf("group member: exit %d, %q", code, member.stdout.String())
	}
	if code := outsider.wait(t); code != 0 || outsider.stdout.String() != "nil\ttimeout\n" {
		t.Errorf("host outside the group: exit %d, %q", code, outsider.stdout.String())
	}

	for i := 1; i <= 3; i++ {
		r := runCmd(t, h.on(i, "-e", "local h = hostinfo() print(h.ip, h.ip_source, h.mac)"), "")
		want := fmt.Sprintf("%s.%d\tinterface\t%s\n", subnet, i, h.mac(i))
		if r.code != 0 || r.stdout != want {
			t.Errorf("hostinfo on host %d: %+v, want %q", i, r, want)
		}
	}
}

// On a host with no multicast route (a namespace of the test's own, with
// one address and no default route), joining a group without naming the
// interface says what to do, leaving says it is not a member, and naming
// the interface joins.
func TestMulticastWithoutRoute(t *testing.T) {
	h := newHosts(t, 1)
	r := runCmd(t, h.on(1, "-e", `
local s = listen(0, "127.0.0.1")
print(s:join("239.1.2.3"))
print(s:leave("239.1.2.3"))
print(s:join("239.1.2.3", "v1"))
print(s:leave("239.1.2.3", "v1"))`), "")
	want := "nil\tno route for multicast group 239.1.2.3: name the interface, s:join(group, iface) (hostinfo() lists them), or add a route (ip route add 224.0.0.0/4 dev IFACE)\n" +
		"nil\tnot a member of 239.1.2.3 (s:join(group) first)\n" +
		"true\ntrue\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, want, r.stderr)
	}
}
