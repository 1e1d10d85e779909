package procmem

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The machine's memory read with one system call is what /proc/meminfo
// calls MemTotal.
func TestMachineMemory(t *testing.T) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skip("no /proc/meminfo:", err)
	}
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mounts), " /proc/meminfo ") {
		// A container's own figures mounted over it (lxcfs): the kernel's
		// are not there to compare with.
		t.Skip("/proc/meminfo is mounted over here")
	}
	var want int64
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(line, err)
			}
			want = kb << 10
		}
	}
	if want == 0 {
		t.Fatal("no MemTotal in /proc/meminfo")
	}
	if got := machineMemory(); got != want {
		t.Errorf("machineMemory() = %d, /proc/meminfo says %d", got, want)
	}
	if got := DefaultBudget(); got <= 0 || got > want/4*3 {
		t.Errorf("DefaultBudget() = %d, want at most 3/4 of %d", got, want)
	}
}
