package sock

import (
	"context"
	"net/netip"
	"testing"
)

func TestPickIP(t *testing.T) {
	a := netip.MustParseAddr
	eth := Interface{Name: "eth0", MAC: "02:00:00:00:00:01", Up: true,
		Addrs: []netip.Prefix{netip.MustParsePrefix("fe80::1/64"), netip.MustParsePrefix("192.0.2.5/24")}}
	down := Interface{Name: "eth1", MAC: "02:00:00:00:00:02", Up: false,
		Addrs: []netip.Prefix{netip.MustParsePrefix("198.51.100.7/24")}}
	lo := Interface{Name: "lo", Up: true, Loopback: true,
		Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}}
	for _, tc := range []struct {
		name     string
		resolved []netip.Addr
		ifaces   []Interface
		ip, src  string
		mac      string
	}{
		{"hostname wins", []netip.Addr{a("192.0.2.5")}, []Interface{lo, eth}, "192.0.2.5", IPFromHostname, eth.MAC},
		{"loopback name falls back to interface", []netip.Addr{a("127.0.1.1")}, []Interface{lo, down, eth}, "192.0.2.5", IPFromInterface, eth.MAC},
		{"failed lookup falls back to interface", nil, []Interface{lo, eth}, "192.0.2.5", IPFromInterface, eth.MAC},
		{"only loopback", nil, []Interface{lo, down}, "127.0.0.1", IPFromLoopback, ""},
		{"name on no interface falls back", []netip.Addr{a("203.0.113.9")}, []Interface{lo, eth}, "192.0.2.5", IPFromInterface, eth.MAC},
		{"name on a down interface falls back", []netip.Addr{a("198.51.100.7")}, []Interface{lo, down, eth}, "192.0.2.5", IPFromInterface, eth.MAC},
	} {
		ip, src := pickIP(tc.resolved, tc.ifaces)
		mac := macOf(ip, tc.ifaces)
		if ip.String() != tc.ip || src != tc.src || mac != tc.mac {
			t.Errorf("%s: got %v %s %q, want %s %s %q", tc.name, ip, src, mac, tc.ip, tc.src, tc.mac)
		}
	}
}

func TestHostListsLoopback(t *testing.T) {
	h, err := Host(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !h.IP.IsValid() || h.IPSource == "" {
		t.Errorf("IP %v from %q", h.IP, h.IPSource)
	}
	found := false
	for _, it := range h.Interfaces {
		for _, p := range it.Addrs {
			if p.Addr() == loopback4 && it.Loopback {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no loopback interface with 127.0.0.1 among %+v", h.Interfaces)
	}
}
