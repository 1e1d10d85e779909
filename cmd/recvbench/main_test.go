package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sockshell/sockshell/internal/testenv"
)

func TestMain(m *testing.M) {
	// The test binary plays the Go receiver, as the command does.
	if len(os.Args) == 2 && os.Args[1] == "-serve-go" {
		os.Exit(serveGo())
	}
	if len(os.Args) == 2 && os.Args[1] == "-serve-go-echo" {
		os.Exit(serveGoEcho())
	}
	// recvbench runs from the repository's root.
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// A short, gentle comparison runs every receiver and reports the ratios.
func TestCompareReport(t *testing.T) {
	python := testenv.Need(t, "python3", "python3")
	var out strings.Builder
	if err := compare(&out, 2000, 200*time.Millisecond, 1, python, ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	names, ratios := withC(t, report, "receiver", []string{"go", "sockshell", "python"},
		[]string{"ratio sockshell/go ", "ratio sockshell/python ", "ratio python/go "},
		"ratio sockshell/c ", "ratio c/python ")
	checkReport(t, report, names, func(name string) string {
		return `round 1 ` + name + ` +\d+\.\d+ µs  \(([1-9]\d*) of \d+ received\)`
	}, ratios, regexp.QuoteMeta)
}

// withC adds the C program, the floor, and its ratios to names and ratios
// wherever there is a C compiler; elsewhere the report must say that
// there is no C what.
func withC(t *testing.T, report, what string, names, ratios []string, cRatios ...string) ([]string, []string) {
	t.Helper()
	if hasCC() {
		return append(names, "c"), append(ratios, cRatios...)
	}
	if !strings.Contains(report, "(cc not found: no C "+what+")") {
		t.Errorf("no word of the missing C compiler in:\n%s", report)
	}
	return names, ratios
}

// checkReport checks that report has a line matching line(name) for each
// of names, and one matching ratioLine(r) for each of ratios.
func checkReport(t *testing.T, report string, names []string, line func(name string) string, ratios []string, ratioLine func(r string) string) {
	t.Helper()
	for _, name := range names {
		if !regexp.MustCompile(line(name)).MatchString(report) {
			t.Errorf("no round 1 line for %s in:\n%s", name, report)
		}
	}
	for _, r := range ratios {
		if !regexp.MustCompile(ratioLine(r)).MatchString(report) {
			t.Errorf("no %q in:\n%s", r, report)
		}
	}
}

// hasCC tells whether there is a C compiler to build the C receiver.
func hasCC() bool {
	_, err := exec.LookPath("cc")
	return err == nil
}

// Unpaced, the report says how many datagrams a second each receiver took,
// and the CPU it spent on each.
func TestFloodReport(t *testing.T) {
	var out strings.Builder
	if err := compare(&out, 0, 100*time.Millisecond, 1, "no-such-python", ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	checkReport(t, report, []string{"go", "sockshell"}, func(name string) string {
		return `round 1 ` + name + ` +[1-9]\d* /s  \(([1-9]\d*) of \d+ received; \d+\.\d\d µs CPU each\)`
	}, []string{"ratio sockshell/go "}, regexp.QuoteMeta)
}

// The echo comparison measures a round trip to every server and reports
// the ratios: the C server, the floor, wherever a C compiler is.
func TestEchoReport(t *testing.T) {
	python := testenv.Need(t, "python3", "python3")
	var out strings.Builder
	if err := compareEcho(&out, 200, 1, python, ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	names, ratios := withC(t, report, "server", []string{"go", "sockshell", "python"},
		[]string{"ratio sockshell/python ", "ratio sockshell/go "}, "ratio c/python ", "ratio sockshell/c ")
	checkReport(t, report, names, func(name string) string {
		return `round 1 ` + name + ` +p50 +[1-9][\d.]* +p99 +[1-9][\d.]* +CPU +\d+\.\d\d µs  \(0 lost\)`
	}, ratios, func(r string) string {
		return regexp.QuoteMeta(r) + ` *p50 \d+\.\d\d  p99 \d+\.\d\d  CPU \d+\.\d\d`
	})
}
