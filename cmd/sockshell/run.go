package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/chzyer/readline"

	"github.com/sockshell/sockshell/luaapi"
	"github.com/sockshell/sockshell/luaapi/procmem"
	"github.com/sockshell/sockshell/repl"
	"github.com/sockshell/sockshell/scripts"
)

// version is sockshell's version.
const version = "0.1.0"

// Exit statuses.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
	exitTimeout     = 124 // as timeout(1)
)

const usage = `usage: sockshell [options] [script [args...]]
  -e chunk   run chunk (repeatable)
  -l name    require module name
  -i         start the shell after the script
  -v, --version  print the version
  -h, --help     print this help
  --safe     for untrusted scripts: no programs, native code, os.exit or
             debug library; no files, network or environment but what
             the --allow flags grant (each implies --safe):
  --allow-read[=PATH,...]        read files (under each PATH; any without =)
  --allow-write[=PATH,...]       write files (likewise)
  --allow-net[=HOST[:PORT],...]  connect, send to, bind, join a group (any without =)
  --allow-env                    read and change the environment
  --timeout SECONDS              stop after that long (exit status 124)
  --max-memory SIZE              memory scripts may use (512M, 2G; default
                                 3/4 of the machine's or its control
                                 group's), past which allocations and
                                 growth raise "not enough memory"
  --         stop handling options
  -          run standard input
With no script: the shell on a terminal, else standard input as a script.
A script that is not a file may be one built in: sockshell receiver 6000.
`

// stdio is the process's streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	terminal bool // in and out are a terminal
	// sigint delivers SIGINT; run catches it itself when nil.
	sigint chan os.Signal
}

// action is one -e or -l option, run in command-line order.
type action struct {
	require bool
	text    string
}

// cmdline is a parsed command line.
type cmdline struct {
	actions     []action
	interactive bool  // -i
	version     bool  // -v
	help        bool  // -h
	safe        bool  // --safe
	maxMemory   int64 // --max-memory, bytes; 0 for the default
	allow       luaapi.Permissions
	timeout     time.Duration // --timeout; 0 for none
	script      int           // index in argv of the script, or len(argv) for none
}

// parse reads options up to the script, as lua does.
func parse(argv []string) (cmdline, error) {
	c := cmdline{script: len(argv)}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			if i+1 < len(argv) {
				c.script = i + 1
			}
			return c, nil
		case a == "-" || !strings.HasPrefix(a, "-"):
			c.script = i
			return c, nil
		case a == "-i":
			c.interactive = true
		case a == "-v" || a == "--version":
			c.version = true
		case a == "-h" || a == "--help":
			c.help = true
		case a == "--safe":
			c.safe = true
		case a == "--allow-read" || a == "--allow-write" || a == "--allow-net" || a == "--allow-env":
			c.safe = true // a permission is a sandbox's
			switch a {
			case "--allow-read":
				c.allow.AllRead = true
			case "--allow-write":
				c.allow.AllWrite = true
			case "--allow-net":
				c.allow.AllNet = true
			default:
				c.allow.Env = true
			}
		case strings.HasPrefix(a, "--allow-read="), strings.HasPrefix(a, "--allow-write="), strings.HasPrefix(a, "--allow-net="):
			c.safe = true
			flag, list, _ := strings.Cut(a, "=")
			for _, item := range strings.Split(list, ",") {
				if item == "" {
					return c, fmt.Errorf("'%s' has an empty entry", a)
				}
				switch flag {
				case "--allow-read":
					c.allow.Read = append(c.allow.Read, item)
				case "--allow-write":
					c.allow.Write = append(c.allow.Write, item)
				default:
					if _, _, err := luaapi.ParseNetRule(item); err != nil {
						return c, fmt.Errorf("--allow-net takes HOST, HOST:PORT, [V6]:PORT or :PORT: %v", err)
					}
					c.allow.Net = append(c.allow.Net, item)
				}
			}
		case a == "--timeout" || strings.HasPrefix(a, "--timeout="):
			text, err := optionValue(argv, &i, "--timeout")
			if err != nil {
				return c, err
			}
			secs, err := strconv.ParseFloat(text, 64)
			if err != nil || !(secs > 0) || secs > 1e9 {
				return c, fmt.Errorf("--timeout takes seconds > 0, got '%s'", text)
			}
			c.timeout = time.Duration(secs * float64(time.Second))
		case a == "--max-memory" || strings.HasPrefix(a, "--max-memory="):
			text, err := optionValue(argv, &i, "--max-memory")
			if err != nil {
				return c, err
			}
			n, err := procmem.ParseSize(text)
			if err != nil {
				return c, fmt.Errorf("--max-memory takes %v, got '%s'", err, text)
			}
			c.maxMemory = n
		case a == "-e" || a == "-l" || strings.HasPrefix(a, "-e") || strings.HasPrefix(a, "-l"):
			text := a[2:]
			if text == "" {
				if i+1 >= len(argv) {
					return c, fmt.Errorf("'%s' needs an argument", a)
				}
				i++
				text = argv[i]
			}
			c.actions = append(c.actions, action{require: a[1] == 'l', text: text})
		default:
			return c, fmt.Errorf("unrecognized option '%s'", a)
		}
	}
	return c, nil
}

// optionValue is the value of the long option at argv[*i]: after its "="
// ("--timeout=5"), or the next argument ("--timeout 5"), which it moves
// past.
func optionValue(argv []string, i *int, name string) (string, error) {
	if text, ok := strings.CutPrefix(argv[*i], name+"="); ok {
		return text, nil
	}
	if *i+1 >= len(argv) {
		return "", fmt.Errorf("'%s' needs an argument", name)
	}
	*i++
	return argv[*i], nil
}

// run is the whole command; it returns the exit status.
func run(argv []string, std stdio) int {
	c, err := parse(argv)
	if err != nil {
		fmt.Fprintf(std.err, "sockshell: %v\n%s", err, usage)
		return exitUsage
	}
	if c.help {
		io.WriteString(std.out, usage)
		return exitOK
	}
	if c.version {
		fmt.Fprintln(std.out, versionLine())
	}

	procmem.SetBudget(c.maxMemory)

	// SIGINT is caught from the start: one that comes while the session
	// is being made still stops the script.
	sigint := std.sigint
	if sigint == nil {
		sigint = make(chan os.Signal, 1)
		signal.Notify(sigint, os.Interrupt)
	}
	defer signal.Stop(sigint)

	// Off a terminal, standard output is buffered (and written out within
	// 50 ms); standard error never is.
	stdout, stderr := std.out, std.err
	if !std.terminal {
		buffered := newLaterWriter(std.out, 50*time.Millisecond)
		defer buffered.Flush()
		stdout, stderr = buffered, flushFirst{buffered, std.err}
	}
	out, errw := repl.NewConsole(stdout), repl.NewConsole(stderr)
	noScript := c.script == len(argv) && len(c.actions) == 0 && !c.version
	shell := c.interactive || noScript && std.terminal
	in := std.in
	if shell {
		in = luaapi.ShellInput // the shell reads it
	}
	opts := luaapi.Options{Stdout: out, Stderr: errw, Stdin: in, Builtin: scripts.FS, Safe: c.safe, Allow: c.allow}
	if std.terminal {
		opts.Width = readline.GetScreenWidth
		opts.Height = func() int {
			_, h, err := readline.GetSize(int(os.Stdout.Fd()))
			if err != nil {
				return 0
			}
			return h
		}
	}
	s := luaapi.New(opts)
	defer s.Close()
	if c.timeout > 0 {
		t := time.AfterFunc(c.timeout, func() {
			fmt.Fprintf(errw, "sockshell: stopped after --timeout %v\n", c.timeout)
			s.Exit(exitTimeout)
		})
		defer t.Stop()
	}
	interrupted, stopSignals := interruptOnSignal(s, sigint)
	defer stopSignals()
	// The command line's chunks stop at the first SIGINT, however early.
	scriptCtx, cancelScript := context.WithCancel(context.Background())
	defer cancelScript()
	go func() {
		select {
		case <-interrupted:
			cancelScript()
		case <-scriptCtx.Done():
		}
	}()
	s.SetArgs(argv, c.script)

	report := func(err error) (int, bool) {
		if err == nil {
			return exitOK, false
		}
		return reportError(errw, err), true
	}
	for _, a := range c.actions {
		var err error
		var fn *lua.LFunction
		if a.require {
			fn, err = s.Compile(fmt.Sprintf("%s = require(%q)", a.text, a.text), "(command line)")
		} else {
			fn, err = s.Compile(a.text, "(command line)")
		}
		if err == nil {
			_, err = s.CallContext(scriptCtx, fn)
		}
		if code, stop := report(err); stop {
			return code
		}
	}
	if c.script < len(argv) {
		fn, err := s.LoadScript(argv[c.script], std.in)
		if err == nil {
			var args []lua.LValue
			for _, a := range argv[c.script+1:] {
				args = append(args, lua.LString(a))
			}
			_, err = s.CallContext(scriptCtx, fn, args...)
		}
		if code, stop := report(err); stop {
			return code
		}
	}
	switch {
	case shell:
		opts := repl.Options{In: std.in, Out: out, Err: errw, Terminal: std.terminal,
			Color: std.terminal && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"}
		if std.terminal {
			opts.HistoryFile = repl.HistoryFile()
			opts.Banner = versionLine() + "\nhelp() lists the functions, ?name shows one, Tab completes, :help lists the commands; Ctrl-D exits."
		}
		return repl.Run(s, opts)
	case noScript:
		fn, err := s.LoadFile("-", std.in)
		if err == nil {
			_, err = s.CallContext(scriptCtx, fn)
		}
		if code, stop := report(err); stop {
			return code
		}
	}
	// A script ends when its last task has.
	code, _ := report(s.Drain(interrupted))
	return code
}

func versionLine() string {
	return fmt.Sprintf("sockshell %s (%s via gopher-lua)", version, lua.LuaVersion)
}

// reportError prints err as the lua interpreter does and picks the status.
func reportError(w io.Writer, err error) int {
	var exit *luaapi.ExitError
	var le *luaapi.Error
	switch {
	case errors.As(err, &exit):
		return exit.Code
	case errors.As(err, &le) && le.Interrupted:
		fmt.Fprintln(w, "sockshell: interrupted")
		return exitInterrupted
	case errors.As(err, &le):
		msg := "sockshell: " + le.Message + "\n"
		if le.Traceback != "" {
			msg += le.Traceback + "\n"
		}
		io.WriteString(w, msg)
	default:
		fmt.Fprintf(w, "sockshell: %v\n", err)
	}
	return exitError
}

// interruptOnSignal turns SIGINT into Session.Interrupt while it runs code,
// and otherwise into Session.InterruptTask: a task hogging the session is
// stopped. At the prompt readline has the terminal in raw mode, so Ctrl-C
// arrives there as a key instead.
// The channel it returns is closed at the first SIGINT, for a script's
// Drain to see even if it came between two chunks.
func interruptOnSignal(s *luaapi.Session, ch <-chan os.Signal) (interrupted <-chan struct{}, stop func()) {
	done := make(chan struct{})
	seen := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				if !s.Interrupt() {
					s.InterruptTask()
				}
				select {
				case <-seen:
				default:
					close(seen)
				}
			case <-done:
				return
			}
		}
	}()
	return seen, func() { close(done) }
}
