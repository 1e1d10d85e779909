package procmem

import (
	"os"
	"slices"
	"testing"
)

// The control group's limit lowers the total when there is one, in v2's
// file or, where that is missing, v1's.
// The limits that bound the process are its own control group's and
// those of the groups above it, v2's and v1's, as /proc/self/cgroup names
// them; a container's group and a systemd service's, not only the root's.
func TestGroupLimitFiles(t *testing.T) {
	for _, tc := range []struct {
		cgroup string
		want   []string
	}{
		{"0::/\n", []string{"/r/memory.max"}},
		{"0::/user.slice/session-1.scope\n", []string{"/r/user.slice/session-1.scope/memory.max", "/r/user.slice/memory.max", "/r/memory.max"}},
		{"9:name=systemd:/\n4:memory:/process_api/f215\n1:cpu:/\n0::/\n", []string{"/r/memory/process_api/f215/memory.limit_in_bytes", "/r/memory/process_api/memory.limit_in_bytes", "/r/memory/memory.limit_in_bytes", "/r/memory.max"}},
		{"5:cpuacct,memory:/a\n", []string{"/r/memory/a/memory.limit_in_bytes", "/r/memory/memory.limit_in_bytes"}},
		{"", nil},
	} {
		if got := groupLimitFiles(tc.cgroup, "/r"); !slices.Equal(got, tc.want) {
			t.Errorf("groupLimitFiles(%q) = %q, want %q", tc.cgroup, got, tc.want)
		}
	}
}

func TestGroupLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const total = 8 << 30
	missing := dir + "/missing"
	for _, tc := range []struct {
		files []string
		want  int64
	}{
		{[]string{missing, missing}, total},
		{[]string{write("v2-max", "max\n"), missing}, total},
		{[]string{write("v2-1g", "1073741824\n"), missing}, 1 << 30},
		{[]string{write("v2-16g", "17179869184\n"), missing}, total},
		{[]string{missing, write("v1-none", "9223372036854771712\n")}, total},
		{[]string{missing, write("v1-512m", "536870912\n")}, 512 << 20},
		{[]string{write("v2-max2", "max\n"), write("v1-256m", "268435456\n")}, 256 << 20}, // the lowest limit counts
		{[]string{write("own-2g", "2147483648\n"), write("parent-1g", "1073741824\n"), write("root-max", "max\n")}, 1 << 30},
	} {
		if got := groupLimit(total, tc.files); got != tc.want {
			t.Errorf("groupLimit(%v) = %d, want %d", tc.files, got, tc.want)
		}
	}
}
