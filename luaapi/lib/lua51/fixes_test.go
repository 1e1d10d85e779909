package lua51

import (
	"encoding/binary"
	"testing"
)

// hasBetween finds a byte of the range at every position of a word, and
// no byte outside it, whatever the other bytes are.
func TestHasBetween(t *testing.T) {
	for _, r := range [][2]byte{{'A', 'Z'}, {'a', 'z'}} {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				for _, fill := range []byte{0, ' ', 0x7f, 0x80, 0xff, r[0] - 1, r[1] + 1} {
					var w [8]byte
					for i := range w {
						w[i] = fill
					}
					w[pos] = byte(c)
					want := false
					for _, b := range w {
						want = want || (b >= r[0] && b <= r[1])
					}
					if got := hasBetween(binary.LittleEndian.Uint64(w[:]), r[0], r[1]); got != want {
						t.Fatalf("hasBetween(%q, %q, %q) = %v, want %v", w, r[0], r[1], got, want)
					}
				}
			}
		}
	}
}
