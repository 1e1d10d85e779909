-- bit32, after Lua 5.2's manual and test suite (bitwise.lua).
local function check(cond, what) if not cond then error("failed: " .. what, 2) end end
check(bit32.band() == 0xffffffff and bit32.bor() == 0 and bit32.bxor() == 0, "no arguments")
check(bit32.band(1, 3, 5) == 1 and bit32.bor(1, 2, 4) == 7 and bit32.bxor(1, 3, 7) == 5, "several")
check(bit32.band(-1) == 0xffffffff and bit32.band(2^32 + 5) == 5 and bit32.band(-2^32 - 1) == 0xffffffff, "modulo 2^32")
check(bit32.bnot(0) == 0xffffffff and bit32.bnot(0xffffffff) == 0 and bit32.bnot(-1) == 0, "bnot")
check(bit32.btest(1, 3) == true and bit32.btest(1, 2) == false and bit32.btest() == true, "btest")
check(bit32.lshift(1, 31) == 0x80000000 and bit32.lshift(1, 32) == 0 and bit32.lshift(0x80, -4) == 8, "lshift")
check(bit32.rshift(0x80000000, 31) == 1 and bit32.rshift(1, 32) == 0 and bit32.rshift(1, -4) == 16, "rshift")
check(bit32.arshift(0x80000000, 1) == 0xc0000000 and bit32.arshift(0x80000000, 40) == 0xffffffff, "arshift negative")
check(bit32.arshift(0x40000000, 40) == 0 and bit32.arshift(1, -1) == 2, "arshift positive")
check(bit32.lrotate(0x12345678, 4) == 0x23456781 and bit32.rrotate(0x12345678, 4) == 0x81234567, "rotate")
check(bit32.lrotate(0x12345678, 36) == 0x23456781 and bit32.rrotate(0x12345678, -4) == 0x23456781, "rotate modulo")
check(bit32.extract(0x12345678, 0, 4) == 8 and bit32.extract(0x12345678, 28, 4) == 1, "extract")
check(bit32.extract(0xffffffff, 31) == 1 and bit32.extract(0x12345678, 0, 32) == 0x12345678, "extract edges")
check(bit32.replace(0x12345678, 0xa, 4, 4) == 0x123456a8 and bit32.replace(0, 1, 31) == 0x80000000, "replace")
print(select(2, pcall(bit32.extract, 1, 30, 3)))
print(select(2, pcall(bit32.extract, 1, -1)))
print(select(2, pcall(bit32.band, "x")))
-- hex tools
check(tohex("") == "" and tohex("\0\255 A") == "00ff2041", "tohex")
check(fromhex("00ff2041") == "\0\255 A" and fromhex("00 FF:20\n41") == "\0\255 A", "fromhex")
print(fromhex("abc"))
print(fromhex("zz"))
io.write(hexdump("0123456789abcdef!"))
io.write(hexdump("\0\1\2", 2))
print(hexdump("") == "")
-- Output:
-- testdata/bit32_hex.lua:17: bad argument #3 to 'extract' (trying to access non-existent bits (field 30, width 3))
-- testdata/bit32_hex.lua:18: bad argument #2 to 'extract' (field must be 0-31, got -1)
-- testdata/bit32_hex.lua:19: bad argument #1 to 'band' (number expected, got string "x")
-- nil	odd number of hex digits
-- nil	not a hex digit: 'z' at 1
-- 00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
-- 00000010  21                                                |!|
-- 00000000  00 01  |..|
-- 00000002  02     |.|
-- true
