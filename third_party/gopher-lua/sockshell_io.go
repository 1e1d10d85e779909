package lua

import (
	"errors"
	"io/fs"
	"syscall"
)

// sockshell: the io library's failures read as C Lua's: "path: No such
// file or directory" with errno 2, where upstream gave Go's "open path:
// no such file or directory" with 1. See README.sockshell.md.

// ioErrorMessage is err as C Lua words a failed file operation: the path
// when there is one, then the C library's text for the error.
func ioErrorMessage(err error) string {
	var errno syscall.Errno
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe) && errors.As(pe.Err, &errno):
		if pe.Path != "" {
			return pe.Path + ": " + cStrerror(errno)
		}
		return cStrerror(errno)
	case errors.As(err, &errno) && err == error(errno):
		return cStrerror(errno)
	}
	return err.Error() // a host's own error (a refusal) says itself
}

// errnoBadFile is the error number of a read or write the file's mode
// does not allow (EBADF).
const errnoBadFile = int(syscall.EBADF)

// ioErrno is err's error number, 0 when it has none.
func ioErrno(err error) int {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	return 0
}

// cStrerror is the C library's text for errno: Go's, which is the C
// library's with its first letter lowered.
func cStrerror(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
