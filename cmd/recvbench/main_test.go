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
	names := []string{"go", "sockshell", "python"}
	ratios := []string{"ratio sockshell/go ", "ratio sockshell/python ", "ratio python/go "}
	if hasCC() {
		// The C program, the floor, is there wherever a C compiler is.
		names = append(names, "c")
		ratios = append(ratios, "ratio sockshell/c ", "ratio c/python ")
	} else if !strings.Contains(report, "(cc not found: no C receiver)") {
		t.Errorf("no word of the missing C compiler in:\n%s", report)
	}
	for _, name := range names {
		re := regexp.MustCompile(`round 1 ` + name + ` +\d+\.\d+ µs  \(([1-9]\d*) of \d+ received\)`)
		if !re.MatchString(report) {
			t.Errorf("no received datagrams for %s in:\n%s", name, report)
		}
	}
	for _, line := range ratios {
		if !strings.Contains(report, line) {
			t.Errorf("no %q in:\n%s", line, report)
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
	for _, name := range []string{"go", "sockshell"} {
		re := regexp.MustCompile(`round 1 ` + name + ` +[1-9]\d* /s  \(([1-9]\d*) of \d+ received; \d+\.\d\d µs CPU each\)`)
		if !re.MatchString(report) {
			t.Errorf("no rate for %s in:\n%s", name, report)
		}
	}
	if !strings.Contains(report, "ratio sockshell/go ") {
		t.Errorf("no ratio in:\n%s", report)
	}
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
	names := []string{"go", "sockshell", "python"}
	ratios := []string{"ratio sockshell/python ", "ratio sockshell/go "}
	if hasCC() {
		names = append(names, "c")
		ratios = append(ratios, "ratio c/python ", "ratio sockshell/c ")
	} else if !strings.Contains(report, "(cc not found: no C server)") {
		t.Errorf("no word of the missing C compiler in:\n%s", report)
	}
	for _, name := range names {
		re := regexp.MustCompile(`round 1 ` + name + ` +p50 +[1-9][\d.]* +p99 +[1-9][\d.]* +CPU +\d+\.\d\d µs  \(0 lost\)`)
		if !re.MatchString(report) {
			t.Errorf("no round trips for %s in:\n%s", name, report)
		}
	}
	for _, line := range ratios {
		if !regexp.MustCompile(regexp.QuoteMeta(line) + ` *p50 \d+\.\d\d  p99 \d+\.\d\d  CPU \d+\.\d\d`).MatchString(report) {
			t.Errorf("no %q in:\n%s", line, report)
		}
	}
}
