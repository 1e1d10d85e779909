-- Lua 5.1's syntax at its edges: a call's '(' on a line of its own is
-- ambiguous, whatever ends the line before it (comments too); the line of
-- an error at the end of a chunk is the line the end is on.
print(loadstring("a = f\n(g)()"))
print(loadstring("a = math.sin -- c\n(3)"))
print(loadstring("a = t[1]\n(g)()"))
print(loadstring("f()\n(g)()"))
print(loadstring("a = f --[[ x\ny ]] (g)") == nil, loadstring("a = f --[[x]] (g)") ~= nil)
print(loadstring("local x = 1\n;(print)('ok')") ~= nil)
print(loadstring("x =\n"))
print(loadstring("x ="))
-- Output:
-- nil	[string "a = f..."]:2: ambiguous syntax (function call x new statement) near '('
-- nil	[string "a = math.sin -- c..."]:2: ambiguous syntax (function call x new statement) near '('
-- nil	[string "a = t[1]..."]:2: ambiguous syntax (function call x new statement) near '('
-- nil	[string "f()..."]:2: ambiguous syntax (function call x new statement) near '('
-- true	true
-- true
-- nil	[string "x =..."]:2: unexpected symbol near '<eof>'
-- nil	[string "x ="]:1: unexpected symbol near '<eof>'
