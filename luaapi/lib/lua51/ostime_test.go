package lua51

import (
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

// strftime agrees with C's (through Python's time.strftime, which calls
// it) on every conversion, for dates across four centuries.
func TestStrftimeAgreesWithC(t *testing.T) {
	py := testenv.Need(t, "python3", "python3")
	formats := []string{"%a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M %n %p %r %R %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%"}
	rng := rand.New(rand.NewSource(1))
	var stamps []int64
	for i := 0; i < 300; i++ {
		stamps = append(stamps, rng.Int63n(12622780800)-2208988800) // 1900-2300
	}
	stamps = append(stamps, 0, 1700000000, 946684800, 951782400) // and some edges
	var script strings.Builder
	script.WriteString("import time\n")
	for _, s := range stamps {
		fmt.Fprintf(&script, "print(time.strftime(%q, time.gmtime(%d)).replace('\\n', '\\\\n').replace('\\t', '\\\\t'))\n", formats[0], s)
	}
	out, err := exec.Command(py, "-c", script.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, s := range stamps {
		got := strftime(formats[0], time.Unix(s, 0).UTC(), true)
		got = strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(got)
		if got != want[i] {
			t.Errorf("%d:\n got %s\nwant %s", s, got, want[i])
		}
	}
}
