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
	for _, tc := range []struct{ name, expr, want string }{
		{"format", `string.format("%s%s", big, big)`, "false\tnot enough memory\n"},
		{"tohex", `tohex(big)`, "false\tnot enough memory\n"},
		{"hexdump", `hexdump(big)`, "false\tnot enough memory\n"},
		{"gsub", `big:gsub("x", "yy")`, "false\tnot enough memory\n"},
		{"loadstring", `loadstring(big)`, "false\tnot enough memory\n"},
		{"upper fits", `big:upper()`, "true\t100000000\n"},
		// Stream reads that wait for more: 400 MB sent, in one line.
		{"stream *a", receive400(`listen{port = 0, host = "127.0.0.1", proto = "tcp"}`, "*a"), "false\tnot enough memory\n"},
		{"LuaSocket *a", receive400(`assert(require("socket").bind("127.0.0.1", 0))`, "*a"), "false\tnot enough memory\n"},
		{"LuaSocket *l", receive400(`assert(require("socket").bind("127.0.0.1", 0))`, "*l"), "false\tnot enough memory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := command("--max-memory", fmt.Sprint(budgetMB, "M"), "-e",
				`big = string.rep("x", 100e6) print(pcall(function() return #(`+tc.expr+`) end))`)
			r := runCmd(t, cmd, "")
			if r.code != 0 || r.stdout != tc.want {
				t.Fatalf("exit %d, stdout %.200q, want %q; stderr %.500s", r.code, r.stdout, tc.want, r.stderr)
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

// receive400 is an expression that receives 400 MB, in one line, on a
// server made by listen (native or LuaSocket), with receive(pattern), and
// raises what that raised.
func receive400(listen, pattern string) string {
	return `(function()
			big = nil
			local srv = ` + listen + `
			local _, port = srv:getsockname()
			spawn(function()
				local c = connect("127.0.0.1", port)
				local chunk = ("x"):rep(1e6)
				for _ = 1, 400 do if not c:send(chunk) then break end end
				c:close()
			end)
			local p = srv:accept()
			local ok, err = pcall(p.receive, p, "` + pattern + `")
			p:close()
			error(err, 0)
		end)()`
}
