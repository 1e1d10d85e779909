-- A multiple assignment evaluates every expression before it assigns
-- (Lua 5.1 manual, 2.4.3), whatever kind of variable it assigns to.
local a, b = 1, 2; a, b = b, a; print(a, b)
local c, d = 0, 0; c, d = c + 1, c + d; print(c, d)
local p, q, r = 1, 2, 3; p, q, r = r, p, q; print(p, q, r)
local s, w = "a", 1; s, w = w, s; print(s, w)
local n1, n2 = "x", 1; n1, n2 = #n1, n1; print(n1, n2)
local e1, e2 = 1, 2; e1, e2 = e2 == 2, e1 < 2; print(e1, e2)
local function two() return 10, 20 end
local m, n = 1, 2; m, n = n, two(); print(m, n)
G1, G2 = 1, 2; G1, G2 = G2, G1; print(G1, G2)
local up1, up2 = 1, 2; (function() up1, up2 = up2, up1 end)(); print(up1, up2)
local z = {1, 2}; z[1], z[2] = z[2], z[1]; print(z[1], z[2])
-- Extra expressions are evaluated before the assignment, too.
local seen
local function g(x) seen = x end
local q1 = 0; q1 = 1, g(q1); print(q1, seen)
-- A value that is a local or a constant used in place.
local f, g, k = 1, {}, "e"; f, g.k = f, k; print(f, g.k)
-- A local that is assigned and also indexed on the left: the store
-- reaches the table the local held before the statement.
local t = {}; local old = t; t, t.x = {}, 1; print(old.x, t.x)
local t2 = {}; local old2 = t2; t2.x, t2 = 1, {}; print(old2.x, t2.x)
local i = 1; local h = {}; h[i], i = 20, 30; print(h[1], h[30], i)
local j = 3; local y = {}; j, y[j] = j + 1, 20; print(y[3], y[4], j)
local o = {}; local d2 = {}; o, d2.k, d2 = 1, 2, 3; print(o, d2)
-- Output:
-- 2	1
-- 1	0
-- 3	1	2
-- 1	a
-- 1	x
-- true	true
-- 2	10
-- 2	1
-- 2	1
-- 2	1
-- 1	0
-- 1	e
-- 1	nil
-- 1	nil
-- 20	nil	30
-- 20	nil	4
-- 1	3
