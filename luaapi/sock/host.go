package sock

import (
	"context"
	"net"
	"net/netip"
	"os"
)

// Interface describes one network interface of the host.
type Interface struct {
	Name     string
	MAC      string // "aa:bb:cc:dd:ee:ff", or "" when it has none (loopback)
	MTU      int
	Up       bool
	Loopback bool
	Addrs    []netip.Prefix // e.g. 192.0.2.5/24
}

// Where HostInfo.IP came from.
const (
	IPFromHostname  = "hostname"  // the host name resolved to a non-loopback address
	IPFromInterface = "interface" // the first non-loopback IPv4 address of an up interface
	IPFromLoopback  = "loopback"  // nothing better: 127.0.0.1
)

// HostInfo holds what the chapter prints about the host: its name, its IP
// address as gethostbyname(gethostname()) gives it, the MAC address of the
// interface carrying that IP, and every interface.
type HostInfo struct {
	Hostname   string
	IP         netip.Addr
	IPSource   string // IPFromHostname, IPFromInterface or IPFromLoopback
	MAC        string // of the interface carrying IP; "" when there is none
	Interfaces []Interface
}

// Host gathers HostInfo. It fails only when the interfaces cannot be listed.
func Host(ctx context.Context) (HostInfo, error) {
	var h HostInfo
	h.Hostname, _ = os.Hostname()
	ifaces, err := Interfaces()
	if err != nil {
		return h, err
	}
	h.Interfaces = ifaces
	var resolved []netip.Addr
	if h.Hostname != "" {
		resolved, _ = LookupNetIP(ctx, "ip4", h.Hostname)
	}
	h.IP, h.IPSource = pickIP(resolved, ifaces)
	h.MAC = macOf(h.IP, ifaces)
	return h, nil
}

// Interfaces lists the host's network interfaces.
func Interfaces() ([]Interface, error) {
	nis, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(nis))
	for _, ni := range nis {
		it := Interface{
			Name:     ni.Name,
			MAC:      ni.HardwareAddr.String(),
			MTU:      ni.MTU,
			Up:       ni.Flags&net.FlagUp != 0,
			Loopback: ni.Flags&net.FlagLoopback != 0,
		}
		addrs, _ := ni.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				ip, _ := netip.AddrFromSlice(ipn.IP)
				ones, _ := ipn.Mask.Size()
				it.Addrs = append(it.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// pickIP chooses the host's address: the first non-loopback address the host
// name resolved to that an up interface carries (a name can resolve to an
// address the host no longer has, or that belongs to another network
// namespace), else the first non-loopback IPv4 address of an up
// interface, else 127.0.0.1.
func pickIP(resolved []netip.Addr, ifaces []Interface) (netip.Addr, string) {
	for _, a := range resolved {
		if a = a.Unmap(); a.IsValid() && !a.IsLoopback() && carried(a, ifaces) {
			return a, IPFromHostname
		}
	}
	for _, it := range ifaces {
		if !it.Up || it.Loopback {
			continue
		}
		for _, p := range it.Addrs {
			if a := p.Addr(); a.Is4() && !a.IsLoopback() {
				return a, IPFromInterface
			}
		}
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1}), IPFromLoopback
}

// carried reports whether an up interface has address a.
func carried(a netip.Addr, ifaces []Interface) bool {
	for _, it := range ifaces {
		for _, p := range it.Addrs {
			if it.Up && p.Addr() == a {
				return true
			}
		}
	}
	return false
}

// macOf is the MAC address of the interface that carries ip, or "".
func macOf(ip netip.Addr, ifaces []Interface) string {
	for _, it := range ifaces {
		for _, p := range it.Addrs {
			if p.Addr() == ip {
				return it.MAC
			}
		}
	}
	return ""
}
