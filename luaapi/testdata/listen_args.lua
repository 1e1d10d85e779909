-- A caller's mistakes raise an error that names the function and argument.
local function try(...) print(select(2, pcall(listen, ...))) end
try(-1)
try(70000)
try("abc")
try(1.5)
try()
try(0, 42)
try({port = 70000})
try({prot = 5000})
try({host = "127.0.0.1"})
-- Numeric strings are numbers, as in Lua arithmetic (arg[1] is a string).
local s = listen("0", "127.0.0.1")
print(s ~= nil)
s:close()
-- Output:
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be 0-65535, got -1)
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be 0-65535, got 70000)
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be a number, got string "abc")
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be a whole number 0-65535, got 1.5)
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be a number, got nil)
-- testdata/listen_args.lua:2: bad argument #2 to 'listen' (host must be a string, got number 42)
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be 0-65535, got 70000)
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (unknown option 'prot' (options: port, host, proto, reuseaddr))
-- testdata/listen_args.lua:2: bad argument #1 to 'listen' (port must be a number, got no value)
-- true
