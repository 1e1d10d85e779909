package luaapi

import (
	"os"
	"testing"
)

// The control group's limit lowers the total when there is one, in v2's
// file or, where that is missing, v1's.
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
		{[]string{write("v2-max2", "max\n"), write("v1-256m", "268435456\n")}, total}, // v2 wins
	} {
		if got := groupLimit(total, tc.files); got != tc.want {
			t.Errorf("groupLimit(%v) = %d, want %d", tc.files, got, tc.want)
		}
	}
}
