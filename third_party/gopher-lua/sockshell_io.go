package lua

import (
	"bufio"
	"errors"
	"io"
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

// sockshell: the io library's reads ask the state's AllocCheck as their
// buffer grows, so that "*a" of a huge file or "*l" of one huge line
// raises "not enough memory" before the buffer passes the budget; a line
// ends at "\n" alone, as in C Lua ("\r" stays), and is never cut at the
// reader's buffer size. See README.sockshell.md.

// growFor makes room in buf for need more bytes: when it has not, its
// capacity doubles (at least 512, at least what is needed, at most limit)
// after L's alloc check allowed the new size.
func growFor(L *LState, buf []byte, need, limit int) []byte {
	if len(buf)+need <= cap(buf) {
		return buf
	}
	newCap := min(max(2*cap(buf), 512, len(buf)+need), limit)
	L.allocCheck(newCap)
	grown := make([]byte, len(buf), newCap)
	copy(grown, buf)
	return grown
}

// readAllChecked reads r to its end (io.ReadAll's result, errors but
// io.EOF), asking the alloc check as it grows.
func readAllChecked(L *LState, r io.Reader) ([]byte, error) {
	var buf []byte
	for {
		buf = growFor(L, buf, 1, maxInt)
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readLineChecked reads one line without its "\n"; eof is true when the
// input had ended before any byte of it.
func readLineChecked(L *LState, r *bufio.Reader) (line []byte, err error, eof bool) {
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(growFor(L, line, len(chunk), maxInt), chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil {
			return line[:len(line)-1], nil, false
		}
		if err == io.EOF {
			return line, nil, len(line) == 0
		}
		return line, err, false
	}
}

// readSizeChecked reads up to size bytes, fewer at the end of the input;
// eof is true when it had ended before any. The buffer grows as bytes
// come, asking the alloc check, rather than being made at size at once.
func readSizeChecked(L *LState, r io.Reader, size int64) (buf []byte, err error, eof bool) {
	for int64(len(buf)) < size {
		buf = growFor(L, buf, 1, int(min(size, int64(maxInt))))
		var n int
		n, err = r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		return buf, nil, len(buf) == 0
	}
	return buf, err, false
}

// maxInt is the largest int: no limit for growFor.
const maxInt = int(^uint(0) >> 1)

// checkedString is the string of what a read gave, made after asking the
// alloc check for its copy.
func checkedString(L *LState, buf []byte) LValue {
	L.allocCheck(len(buf))
	return LString(string(buf))
}
