package lua

import "unsafe"

// sockshell: LStringBytes makes a string value from bytes with one
// allocation where the conversion lua.LString(b) to an LValue makes two.
// See README.sockshell.md.

// stringItab is the interface table of an LString held in an LValue.
var stringItab = func() unsafe.Pointer {
	var v LValue = LString("")
	return (*iface)(unsafe.Pointer(&v)).itab
}()

// emptyString is "" as an LValue.
var emptyString LValue = LString("")

// LStringBytes returns an LValue holding an LString with a copy of b. The
// conversion LValue(LString(b)) allocates twice: the bytes, then the
// string header the interface points to. Here one block holds both: the
// header first, then the bytes it points to. The block has no pointers
// for the collector to follow, and needs none: the only pointer in it is
// to itself, and every copy of the string points into it as well.
func LStringBytes(b []byte) LValue {
	if len(b) == 0 {
		return emptyString
	}
	const header = unsafe.Sizeof("")
	block := make([]byte, int(header)+len(b))
	copy(block[header:], b)
	*(*string)(unsafe.Pointer(&block[0])) = unsafe.String(&block[header], len(b))
	var v LValue
	p := (*iface)(unsafe.Pointer(&v))
	p.itab, p.word = stringItab, unsafe.Pointer(&block[0])
	return v
}
