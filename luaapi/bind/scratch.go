package bind

// Scratch is a byte buffer a library function reuses from call to call
// instead of allocating one per call. It is used under the baton; a call
// made while it is taken (a __tostring metamethod that prints) gets a
// buffer of its own.
type Scratch struct {
	buf  []byte
	busy bool
}

// scratchKeep is the largest buffer kept for the next call.
const scratchKeep = 64 << 10

// Take returns an empty buffer, and whether it is the scratch one, which
// must then be given back.
func (sc *Scratch) Take() ([]byte, bool) {
	if sc.busy {
		return nil, false
	}
	sc.busy = true
	return sc.buf[:0], true
}

// Give returns b, taken from sc (grown, perhaps), for the next call.
func (sc *Scratch) Give(b []byte) {
	if cap(b) <= scratchKeep {
		sc.buf = b[:0]
	}
	sc.busy = false
}
