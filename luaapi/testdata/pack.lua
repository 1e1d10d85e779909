-- pack, unpack and packsize follow Lua 5.3's string.pack; cases after the
-- Lua 5.3 reference manual (6.4.2) and its test suite's tpack.lua, adapted
-- to Lua 5.1 numbers (doubles: integers must be exact, |n| <= 2^53).
local function errorof(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return (err:gsub("^[^:]*:%d+: ", ""))
end
local function check(cond, what) if not cond then error("failed: " .. what, 2) end end

check(packsize("h") == 2 and packsize("i") == 4 and packsize("l") == 8 and packsize("T") == 8, "sizes")
check(packsize("j") == 8 and packsize("f") == 4 and packsize("d") == 8 and packsize("n") == 8, "sizes")
check(pack("i2", 1) == "\1\0", "native is little endian")
check(packsize("!xXi16") == 8, "native alignment is 8")

-- minimum behaviour for integer formats
check(unpack("B", pack("B", 0xff)) == 0xff, "B")
check(unpack("b", pack("b", 0x7f)) == 0x7f, "b max")
check(unpack("b", pack("b", -0x80)) == -0x80, "b min")
check(unpack("H", pack("H", 0xffff)) == 0xffff, "H")
check(unpack("h", pack("h", -0x8000)) == -0x8000, "h min")
check(unpack("L", pack("L", 0xffffffff)) == 0xffffffff, "L")
check(unpack("l", pack("l", -0x80000000)) == -0x80000000, "l min")

for i = 1, 16 do
  -- small numbers with sign extension
  local s = string.rep("\255", i)
  check(pack("i" .. i, -1) == s and packsize("i" .. i) == i, "i" .. i .. " of -1")
  check(unpack("i" .. i, s) == -1, "unpack i" .. i .. " of -1")
  -- small unsigned numbers
  s = "\170" .. string.rep("\0", i - 1)
  check(pack("<I" .. i, 0xAA) == s and unpack("<I" .. i, s) == 0xAA, "<I" .. i)
  check(pack(">I" .. i, 0xAA) == s:reverse() and unpack(">I" .. i, s:reverse()) == 0xAA, ">I" .. i)
end

-- the largest exact integers, and beyond
local big = 2^53
check(unpack("<j", pack("<j", big)) == big and unpack("<j", pack("<j", -big)) == -big, "2^53")
check(unpack("<i12", pack("<i12", -big)) == -big, "sign-extended i12")
check(unpack(">i16", string.rep("\255", 10) .. pack(">i6", -5)) == -5, "i16 with correct extra bytes")
print(errorof(pack, "j", big + 2))
print(errorof(pack, "i4", 1.5))
print(errorof(unpack, "<J", pack("<j", -1)))
print(errorof(unpack, "<I9", string.rep("\0", 8) .. "\1"))
print(errorof(unpack, "i16", string.rep("\3", 16)))

-- overflow in packing
for i = 1, 6 do
  local umax = 2^(i * 8) - 1
  local max = (umax - 1) / 2
  local min = -max - 1
  for _, case in ipairs{{"<I", -1}, {"<I", min}, {">I", umax + 1}, {">i", umax}, {">i", max + 1}, {"<i", min - 1}} do
    check(errorof(pack, case[1] .. i, case[2]):find("overflow"), "overflow " .. case[1] .. i .. " " .. case[2])
  end
  check(unpack(">i" .. i, pack(">i" .. i, max)) == max and unpack("<i" .. i, pack("<i" .. i, min)) == min, "limits i" .. i)
  check(unpack(">I" .. i, pack(">I" .. i, umax)) == umax, "limits I" .. i)
end

-- mixed endianness
check(pack(">i2 <i2", 10, 20) == "\0\10\20\0", "mixed endianness")
local a, b = unpack("<i2 >i2", "\10\0\0\20")
check(a == 10 and b == 20, "mixed endianness unpacked")
check(pack("=i4", 2001) == pack("i4", 2001), "= is native")

-- invalid formats
print(errorof(pack, "i0", 0))
print(errorof(pack, "i17", 0))
print(errorof(pack, "!17", 0))
print(errorof(pack, "Xi17"))
print(errorof(pack, "i3r", 0))
print(errorof(pack, "!4i3", 0))
print(errorof(pack, "c", ""))
print(errorof(packsize, "s"))
print(errorof(packsize, "z"))
print(errorof(packsize, "c1" .. string.rep("0", 40)))
print(errorof(packsize, string.rep("c268435456", 8)))
check(packsize(string.rep("c268435456", 7) .. "c268435455") == 0x7fffffff, "largest format")

-- floating point
for _, n in ipairs{0, -1.1, 1.9, 1/0, -1/0, 1e20, -1e20, 0.1, 2000.7} do
  check(unpack("n", pack("n", n)) == n and unpack(">n", pack(">n", n)) == n, "n " .. n)
  check(pack("<f", n) == pack(">f", n):reverse() and pack(">d", n) == pack("<d", n):reverse(), "float order " .. n)
end
for _, n in ipairs{0, -1.5, 1/0, -1/0, 1e10, -1e9, 0.5, 2000.25} do
  check(unpack("<f", pack("<f", n)) == n and unpack(">d", pack(">d", n)) == n, "round " .. n)
end

-- strings
local s = string.rep("abc", 1000)
check(pack("zB", s, 247) == s .. "\0\247", "z")
local s1, byte = unpack("zB", s .. "\0\249")
check(s1 == s and byte == 249, "unpack z")
check(unpack("s", pack("s", s)) == s, "s")
for i = 2, 16 do
  local p = pack("s" .. i, s)
  check(unpack("s" .. i, p) == s and #p == #s + i, "s" .. i)
end
print(errorof(pack, "s1", s))
print(errorof(pack, "z", "alo\0"))
print(errorof(unpack, "s", pack("s", "alo"):sub(1, -2)))
print(errorof(unpack, "c5", "abcd"))
print(errorof(pack, "s100", "alo"))
print(errorof(unpack, "z", "no end"))
check(pack("c0", "") == "" and packsize("c0") == 0 and unpack("c0", "") == "", "c0")
check(pack("<! c3", "abc") == "abc" and packsize("<! c3") == 3, "c3")
check(pack("c8", "123456") == "123456\0\0", "c pads with zeros")
check(pack("c188", "ab") == "ab" .. string.rep("\0", 186), "c188")
local x, y, pos = unpack("!4 z c3", "abcdefghi\0xyz")
check(x == "abcdefghi" and y == "xyz" and pos == 14, "z then c3")
print(errorof(pack, "c3", "1234"))

-- several values
local packed = pack("<b h b f d f n i", 1, 2, 3, 4, 5, 6, 7, 8)
check(#packed == packsize("<b h b f d f n i"), "sequence size")
local v = {unpack("<b h b f d f n i", packed)}
check(v[1] == 1 and v[2] == 2 and v[3] == 3 and v[4] == 4 and v[5] == 5 and v[6] == 6 and v[7] == 7 and v[8] == 8 and v[9] == #packed + 1, "sequence")

-- alignment
check(pack(" < i1 i2 ", 2, 3) == "\2\3\0", "no alignment by default")
local al = pack(">!8 b Xh i4 i8 c1 Xi8", -12, 100, 200, "\236")
check(#al == packsize(">!8 b Xh i4 i8 c1 Xi8"), "aligned size")
check(al == "\244\0\0\0" .. "\0\0\0\100" .. "\0\0\0\0\0\0\0\200" .. "\236\0\0\0\0\0\0\0", "aligned bytes")
local c1, p1, p2, p3, apos = unpack(">!8 c1 Xh i4 i8 b Xi8 XI XH", al)
check(c1 == "\244" and p1 == 100 and p2 == 200 and p3 == -20 and apos - 1 == #al, "aligned unpack")
al = pack(">!4 c3 c4 c2 z i4 c5 c2 Xi4", "abc", "abcd", "xz", "hello", 5, "world", "xy")
check(al == "abcabcdxzhello\0\0\0\0\0\5worldxy\0", "aligned strings")
check(packsize(" b b Xd b Xb x") == 4 and pack(" b b Xd b Xb x", 1, 2, 3) == "\1\2\3\0", "X with d")
check(packsize("!8 xXi8") == 8 and unpack("!8 xXi8", "0123456701234567") == 9, "only alignment 8")
check(packsize("!2 xXi8") == 2 and unpack("!2 xXi8", "0123456701234567") == 3, "only alignment 2")
check(packsize("!16 xXi16") == 16 and unpack("!16 xXi16", "0123456701234567") == 17, "only alignment 16")
print(errorof(pack, "X"))
print(errorof(unpack, "XXi", ""))
print(errorof(unpack, "X i", ""))
print(errorof(pack, "Xc1"))

-- initial position
local four = pack("i4i4i4i4", 1, 2, 3, 4)
for p = 1, 16, 4 do
  local n, nextp = unpack("i4", four, p)
  check(n == (p - 1) / 4 + 1 and nextp == p + 4, "position " .. p)
end
for p = 0, 12 do
  local n, nextp = unpack("!4 i4", four, p + 1)
  check(n == math.floor((p + 3) / 4) + 1 and nextp == n * 4 + 1, "aligned position " .. p)
end
check(select(2, unpack("!4 i4", four, -4)) == 17 and unpack("!4 i4", four, -7) == 4 and unpack("!4 i4", four, -#four) == 1, "negative positions")
for p = 1, #four + 1 do check(unpack("c0", four, p) == "", "c0 at " .. p) end
print(errorof(unpack, "c0", four, 0))
print(errorof(unpack, "c0", four, #four + 2))
print(errorof(unpack, "c0", four, -(#four + 1)))

-- the string library has them too, and unpack still unpacks tables
check(string.pack == pack and string.packsize == packsize, "string.pack")
check(string.unpack(">I2", "\1\2") == 258, "string.unpack")
check(select("#", unpack({1, 2, 3})) == 3 and select(2, unpack({1, 2, 3}, 2)) == 3, "unpack of a table")
print("all pack cases passed")
-- Output:
-- bad argument #2 to 'pack' (9007199254740994 is beyond 2^53: a double cannot hold it exactly)
-- bad argument #2 to 'pack' (number has no integer representation)
-- bad argument #2 to 'unpack' (8-byte integer does not fit into a Lua 5.1 number exactly (beyond 2^53))
-- bad argument #2 to 'unpack' (9-byte integer does not fit into a Lua 5.1 number exactly (beyond 2^53))
-- bad argument #2 to 'unpack' (16-byte integer does not fit into a Lua 5.1 number exactly (beyond 2^53))
-- bad argument #1 to 'pack' (integral size (0) out of limits [1,16])
-- bad argument #1 to 'pack' (integral size (17) out of limits [1,16])
-- bad argument #1 to 'pack' (integral size (17) out of limits [1,16])
-- bad argument #1 to 'pack' (integral size (17) out of limits [1,16])
-- bad argument #1 to 'pack' (invalid format option 'r')
-- bad argument #1 to 'pack' (format asks for alignment not power of 2)
-- bad argument #1 to 'pack' (missing size for format option 'c')
-- bad argument #1 to 'packsize' (variable-length format)
-- bad argument #1 to 'packsize' (variable-length format)
-- bad argument #1 to 'packsize' (invalid format option '0')
-- bad argument #1 to 'packsize' (format result too large)
-- bad argument #2 to 'pack' (string length does not fit in given size)
-- bad argument #2 to 'pack' (string contains zeros)
-- bad argument #2 to 'unpack' (data string too short)
-- bad argument #2 to 'unpack' (data string too short)
-- bad argument #1 to 'pack' (integral size (100) out of limits [1,16])
-- bad argument #2 to 'unpack' (unfinished string for format 'z')
-- bad argument #2 to 'pack' (string longer than given size)
-- bad argument #1 to 'pack' (invalid next option for option 'X')
-- bad argument #1 to 'unpack' (invalid next option for option 'X')
-- bad argument #1 to 'unpack' (invalid next option for option 'X')
-- bad argument #1 to 'pack' (invalid next option for option 'X')
-- bad argument #3 to 'unpack' (initial position out of string)
-- bad argument #3 to 'unpack' (initial position out of string)
-- bad argument #3 to 'unpack' (initial position out of string)
-- all pack cases passed
