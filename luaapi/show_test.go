package luaapi

import (
	"regexp"
	"strings"
	"testing"
)

// Results print as people read them best.
func TestShow(t *testing.T) {
	s, out := newTestSession(t)
	cases := []struct{ src, want string }{
		{`return {1, 2, 3}`, `^\{1, 2, 3\}$`},
		{`return {10, b = 1, a = {x = "y"}, [5.5] = true}`, `^\{10, \[5\.5\] = true, a = \{x = "y"\}, b = 1\}$`},
		{`return {["not a name"] = 1, ["end"] = 2}`, `^\{\["end"\] = 2, \["not a name"\] = 1\}$`},
		{`local t = {} t.self = t return t`, `^\{self = <cycle: table: 0x[0-9a-f]+>\}$`},
		{`return "\27[2J\27[Hpwned\0\1\2"`, `^"\\27\[2J\\27\[Hpwned\\0\\1\\2"$`},
		{`return "a\0" .. "1"`, `^"a\\0001"$`},
		{`return "plain text"`, `^plain text$`},
		{`return {"quoted in a table"}`, `^\{"quoted in a table"\}$`},
		{`return ("\0\1\2\3"):rep(20)`, `^80 bytes:\n00000000  00 01 02 03 00 01 02 03  00 01 02 03 00 01 02 03  \|\.{16}\|\n`},
		{`return {{{{{{1}}}}}}`, `^\{\{\{\{\{…\}\}\}\}\}$`},
		{`local t = {} for i = 1, 50 do t[i] = i end return t`, "^\\{\n  1, 2, .*, 20,\n  21, .*, 38,\n  39, 40, … \\(10 more\\),\n\\}$"},
		{`return {alpha = "a fairly long string value", beta = "another fairly long string", gamma = 3}`,
			"^\\{\n  alpha = \"a fairly long string value\",\n  beta = \"another fairly long string\",\n  gamma = 3,\n\\}$"},
		{`return recvfrom`, `^function recvfrom\(sock \[, bufsize \[, timeout\]\]\)$`},
		{`return listen(0, "127.0.0.1")`, `^udp\{127\.0\.0\.1:\d+, 0 in, 0 out\}$`},
		{`return setmetatable({}, {__tostring = function() return "custom" end})`, `^custom$`},
	}
	for _, c := range cases {
		got := s.Show(run(t, s, c.src)[0])
		if !regexp.MustCompile(c.want).MatchString(got) {
			t.Errorf("%s:\n got %q\nwant %s", c.src, got, c.want)
		}
	}
	// show() prints the same; print stays raw.
	run(t, s, `show({1, "x\0"}, "a\1") print("a\1")`)
	if got := out.String(); got != "{1, \"x\\0\"}\t\"a\\1\"\na\x01\n" {
		t.Errorf("show/print wrote %q", got)
	}
	// A shown literal reads back to the same bytes.
	lit := s.Show(run(t, s, `return "\0001\255\n\"x\\"`)[0])
	if got := run(t, s, `return `+lit+` == "\0001\255\n\"x\\"`)[0].String(); got != "true" || !strings.HasPrefix(lit, `"`) {
		t.Errorf("literal %s reads back: %s", lit, got)
	}
}
