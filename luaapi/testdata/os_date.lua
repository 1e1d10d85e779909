-- os.date follows C: %c and the other conversions in the C locale, *t
-- with yday; os.clock is CPU time, now() a monotonic clock.
local t = 1700000000
print(os.date("!%c", t))
print(os.date("!%x %X %a %j %U %W %V", t))
local d = os.date("!*t", t)
print(d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
print(os.date("!%Y-%m-%d", os.time{year = 2024, month = 2, day = 29, hour = 12}) ~= nil)
local c0, n0 = os.clock(), now()
sleep(0.02)
print(type(c0), os.clock() >= c0, now() - n0 >= 0.02)
-- Output:
-- Tue Nov 14 22:13:20 2023
-- 11/14/23 22:13:20 Tue 318 46 46 46
-- 2023	11	14	22	13	20	3	318	false
-- true
-- number	true	true
