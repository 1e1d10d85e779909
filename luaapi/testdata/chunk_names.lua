-- loadstring and load name their chunks in messages as Lua does: source
-- text as [string "its first line"], "=name" as name, "@file" as file.
-- (The syntax errors' own words are gopher-lua's parser's.)
print(select(2, loadstring("x = = 1")))
print(pcall(loadstring("error('boom')")))
print(pcall(loadstring("local a; return a.b", "=mychunk")))
print(pcall(loadstring("return nil + 1", "@file.lua")))
print(select(2, loadstring("abc\ndef +")))
print(select(2, loadstring(string.rep("x", 50) .. " +")))
print(pcall(load(coroutine.wrap(function() coroutine.yield("error('in load')") end))))
-- Output:
-- [string "x = = 1"]:1: unexpected symbol near '='
-- false	[string "error('boom')"]:1: boom
-- false	mychunk:1: attempt to index local 'a' (a nil value)
-- false	file.lua:1: attempt to perform arithmetic on a nil value
-- [string "abc..."]:2: '=' expected near 'def'
-- [string "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."]:1: '=' expected near '+'
-- false	(load):1: in load
