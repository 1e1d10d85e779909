// Command sockshell is a Lua 5.1 prompt and script runner with sockets:
// listen, recvfrom, sendto and hostinfo are Lua functions.
//
// Usage:
//
//	sockshell [options] [script [args...]]
//
// With no script it starts the shell when standard input is a terminal and
// otherwise runs standard input as a script. The command line follows the
// standard lua interpreter:
//
//	-e chunk   run chunk (repeatable; before the script, in order)
//	-l name    require module name into the global name (likewise)
//	-i         start the shell after running the script
//	-v         print the version (also --version)
//	-h         print this help (also --help)
//	--safe     for untrusted scripts and plugins: no programs, native
//	           code, os.exit or debug library, and no files, network or
//	           environment but what --allow-read, --allow-write,
//	           --allow-net and --allow-env grant
//	--timeout SECONDS, --max-memory SIZE: limits of time and memory
//	--         stop handling options
//	-          run standard input as the script
//
// A script that is not a file may be one of those built into sockshell:
// `sockshell receiver 6000` runs the bundled scripts/receiver.lua.
//
// The script gets its arguments in the global table arg (arg[0] is the
// script, arg[1] the first argument, interpreter options at negative
// indices) and as the chunk's ... values.
//
// Exit status: 0 on success; 1 when the script raises an uncaught error
// (printed on standard error as "sockshell: file:line: message" with a
// traceback); 2 for a usage error; 130 when interrupted by SIGINT (Ctrl-C);
// n when the script calls os.exit(n); 70 when sockshell itself fails (a
// bug, reported with its stack). Sockets are closed and the terminal is
// restored in every case; SIGTERM and SIGHUP end the shell with 128+signal,
// the terminal restored. Off a terminal, standard output is buffered and
// written out within 50 ms, and before anything goes to standard error.
//
// Environment:
//
//	XDG_STATE_HOME  the shell keeps its history in $XDG_STATE_HOME/sockshell/history
//	                (default ~/.local/state/sockshell/history), only on a terminal
//	SOCKSHELL_PATH  directories (colon-separated) searched first for plugins;
//	                then $XDG_CONFIG_HOME/sockshell/plugins (default
//	                ~/.config/sockshell/plugins), ./plugins, and the built-in
//	                plugins. LUA_PATH is not used.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/chzyer/readline"
)

func main() {
	setProcs()
	// SIGINT is caught before anything else: one that comes while the
	// session is being made still stops the script, with status 130.
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	fd := int(os.Stdin.Fd())
	term := readline.IsTerminal(fd) && readline.IsTerminal(int(os.Stdout.Fd()))
	restore := func() {}
	if term {
		if state, err := readline.GetState(fd); err == nil {
			restore = func() { readline.Restore(fd, state) }
			restoreTerminalOnExitSignals(restore)
		}
	}
	code := guard(func() int {
		return run(os.Args, stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr, terminal: term, sigint: sigint})
	}, restore, os.Stderr)
	restore() // as the terminal was, whatever the shell or a program it ran changed
	os.Exit(code)
}

// exitBug is the status when sockshell itself failed (EX_SOFTWARE).
const exitBug = 70

// guard runs the command; if it panics (a bug in sockshell: Lua code and
// bindings never panic through here), the terminal is put back as it was,
// the panic is reported on w with its stack, and the status is exitBug.
func guard(command func() int, restore func(), w io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			restore()
			fmt.Fprintf(w, "sockshell: internal error: %v (a bug in sockshell: please report it with what you did)\n%s", r, debug.Stack())
			code = exitBug
		}
	}()
	return command()
}

// restoreTerminalOnExitSignals puts the terminal back as it was before
// exiting on SIGTERM or SIGHUP: the shell may be at its prompt, with the
// terminal in raw mode, and a shell that dies must not leave it so.
func restoreTerminalOnExitSignals(restore func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-ch
		restore()
		os.Exit(128 + int(sig.(syscall.Signal)))
	}()
}
