package procmem

import "golang.org/x/sys/unix"

// machineMemory is the machine's memory in bytes, or 0 if unknown. One
// sysinfo(2) call: reading /proc/meminfo makes the kernel write out every
// figure it has, a tenth of a millisecond of every start.
func machineMemory() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
