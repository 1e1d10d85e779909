package sock

import (
	"context"
	"net"
	"net/netip"
	"strings"
)

// ParseAddr reads host as an IP address literal (brackets and a %zone
// allowed); ok is false for anything that needs a lookup.
func ParseAddr(host string) (netip.Addr, bool) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	a, err := netip.ParseAddr(h)
	return a.Unmap(), err == nil
}

// LookupNetIP is the system resolver's lookup of host's addresses
// ("ip", "ip4" or "ip6"), with the special-use names of RFC 6761 answered
// at once, without a query to any server: a name under .invalid does not
// exist, and a name under .localhost is the loopback address. (localhost
// itself is left to the hosts file, as the C library does.)
func LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case name == "invalid" || strings.HasSuffix(name, ".invalid"):
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	case strings.HasSuffix(name, ".localhost"):
		var out []netip.Addr
		if network != "ip6" {
			out = append(out, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
		}
		if network != "ip4" {
			out = append(out, netip.IPv6Loopback())
		}
		return out, nil
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// Resolve turns host and port into an address. host is an IPv4 or IPv6
// literal (brackets and a %zone allowed) or a name for the system resolver;
// of a name's addresses the first of the preferred family is taken (IPv6 when
// preferIPv6, else IPv4), failing that the first of the other. A lookup that
// fails returns the resolver's *net.DNSError.
func Resolve(ctx context.Context, host string, port int, preferIPv6 bool) (netip.AddrPort, error) {
	if a, ok := ParseAddr(host); ok {
		return netip.AddrPortFrom(a, uint16(port)), nil
	}
	addrs, err := LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	pick := addrs[0].Unmap()
	for _, a := range addrs {
		if a = a.Unmap(); a.Is6() == preferIPv6 {
			pick = a
			break
		}
	}
	return netip.AddrPortFrom(pick, uint16(port)), nil
}
