//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package repl

// typeAhead leaves the terminal as it is where its modes are not known.
func typeAhead(fd int, keep bool) {}
