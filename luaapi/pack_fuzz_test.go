package luaapi

import (
	"encoding/binary"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
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

// BenchmarkPackDNS packs and unpacks a DNS header and question with pack
// and unpack from Lua, beside the same in plain Go, in the same run.
func BenchmarkPackDNS(b *testing.B) {
	s := New(Options{})
	defer s.Close()
	fn, err := s.Compile(`
local n = ...
for i = 1, n do
  local msg = pack(">I2 I2 I2 I2 I2 I2 s1 s1 s1 B I2 I2", i % 65536, 0x0100, 1, 0, 0, 0,
                   "www", "example", "test", 0, 1, 1)
  local id, flags, qd, an, ns, ar, l1, l2, l3, z, qtype, qclass = unpack(">I2 I2 I2 I2 I2 I2 s1 s1 s1 B I2 I2", msg)
end`, "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	luaStart := nanotime()
	if _, err := s.Call(fn, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
	luaNs := float64(nanotime()-luaStart) / float64(b.N)
	goStart := nanotime()
	var sink uint16
	for i := 0; i < b.N; i++ {
		msg := make([]byte, 0, 40)
		msg = binary.BigEndian.AppendUint16(msg, uint16(i))
		for _, v := range []uint16{0x0100, 1, 0, 0, 0} {
			msg = binary.BigEndian.AppendUint16(msg, v)
		}
		for _, label := range []string{"www", "example", "test"} {
			msg = append(append(msg, byte(len(label))), label...)
		}
		msg = append(msg, 0, 0, 1, 0, 1)
		// Read it back.
		off := 12
		for msg[off] != 0 {
			off += int(msg[off]) + 1
		}
		sink += binary.BigEndian.Uint16(msg[0:]) + binary.BigEndian.Uint16(msg[off+1:])
	}
	goNs := float64(nanotime()-goStart) / float64(b.N)
	_ = sink
	b.ReportMetric(luaNs, "lua-ns/msg")
	b.ReportMetric(goNs, "go-ns/msg")
	b.ReportMetric(luaNs/goNs, "lua/go")
}

func nanotime() int64 { return time.Now().UnixNano() }
