package main

import (
	"fmt"
	"syscall"
	"testing"
)

// Functions whose result's size their arguments set ask the memory
// budget before they make it: each ends with a "not enough memory" that
// pcall catches, and the process stays under 1.5 times the budget, where
// the kernel used to kill it. What fits is not refused.
func TestMemoryBudgetWhereMemoryGrows(t *testing.T) {
	const budgetMB = 256
	for _, tc := range []struct{ expr, want string }{
		{`string.format("%s%s", big, big)`, "false\tnot enough memory\n"},
		{`tohex(big)`, "false\tnot enough memory\n"},
		{`hexdump(big)`, "false\tnot enough memory\n"},
		{`big:gsub("x", "yy")`, "false\tnot enough memory\n"},
		{`loadstring(big)`, "false\tnot enough memory\n"},
		{`big:upper()`, "true\t100000000\n"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			cmd := command("--max-memory", fmt.Sprint(budgetMB, "M"), "-e",
				`big = string.rep("x", 100e6) print(pcall(function() return #(`+tc.expr+`) end))`)
			r := runCmd(t, cmd, "")
			if r.code != 0 || r.stdout != tc.want {
				t.Fatalf("exit %d, stdout %q, want %q; stderr %s", r.code, r.stdout, tc.want, r.stderr)
			}
			ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				t.Skip("no resource usage on this system")
			}
			if peakMB := ru.Maxrss / 1024; peakMB > budgetMB*3/2 {
				t.Errorf("peak RSS %d MB, over 1.5 times the %d MB budget", peakMB, budgetMB)
			}
		})
	}
}
