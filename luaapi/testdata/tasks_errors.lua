-- An error ends only its task: it is printed with a traceback, and wait
-- returns nil and the message.
local function fails() local t = nil; return t.field end
local bad = spawn(fails)
local good = spawn(function() sleep(0.001) return "fine" end)
print(bad:wait())
print(good:wait())
print(bad.status, good.status)
-- Mistakes in the calls raise.
print(pcall(spawn, 42))
print(pcall(sleep, -1))
print(pcall(sleep))
print(pcall(function() local t = spawn(sleep, 0); return t.wait(nil) end))
-- A task cannot wait for itself.
local me
me = spawn(function() return pcall(me.wait, me) end)
print(me:wait())
-- Output:
-- task#1 (testdata/tasks_errors.lua:4) failed: testdata/tasks_errors.lua:3: attempt to index local 't' (a nil value)
-- stack traceback:
-- 	testdata/tasks_errors.lua:3: in function <testdata/tasks_errors.lua:3>
-- 	[G]: ?
-- nil	testdata/tasks_errors.lua:3: attempt to index local 't' (a nil value)
-- fine
-- failed	done
-- false	testdata/tasks_errors.lua:10: bad argument #1 to 'spawn' (function expected, got number 42)
-- false	testdata/tasks_errors.lua:11: bad argument #1 to 'sleep' (seconds must be seconds >= 0 or nil, got number -1)
-- false	testdata/tasks_errors.lua:12: bad argument #1 to 'sleep' (seconds must be a number >= 0, got nil)
-- false	testdata/tasks_errors.lua:13: calling 'wait' on bad self (task expected, got nil)
-- false	testdata/tasks_errors.lua:16: calling 'wait' on bad self (a task cannot wait for itself)
