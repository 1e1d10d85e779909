package binary

import (
	"testing"
)

// FuzzUnpack: no format, data and position make unpack panic, and what it
// reads lies within the data.
func FuzzUnpack(f *testing.F) {
	for _, seed := range []struct{ format, data string }{
		{">I2 I2 I2 I2 I2 I2", "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"},
		{"<i16", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"},
		{"!8 b Xh i4 i8 c1 Xi8", "\xf4\x00\x00\x00\x00\x00\x00\x64"},
		{"s1 z c3", "\x03abcdef\x00xyz"},
		{"Xi8", ""},
		{"!16 xXi16 d f n", "0123456701234567"},
		{"c99999999999999", "x"},
		{"i0", ""},
	} {
		f.Add(seed.format, seed.data, 1)
	}
	f.Fuzz(func(t *testing.T, format, data string, pos int) {
		_, next, err := unpack(format, data, pos)
		if err == nil && (next < 1 || next > len(data)+1) {
			t.Fatalf("unpack(%q, %q, %d) ended at %d, outside the data", format, data, pos, next)
		}
		packsize(format) // must not panic either
	})
}

// FuzzFromhex: fromhex never panics, and reads back what tohex writes.
func FuzzFromhex(f *testing.F) {
	for _, seed := range []string{"", "00ff", "4c 75 61", "de:ad:be:ef", "abc", "zz", "0\n1\r\n23"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		b, err := fromHex(text)
		if err != nil {
			return
		}
		back, err := fromHex(hexString(b))
		if err != nil || string(back) != string(b) {
			t.Fatalf("fromhex(tohex(%q)) = %q, %v", b, back, err)
		}
	})
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
