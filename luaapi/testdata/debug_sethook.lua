-- The VM has no hooks: debug.gethook reports none, removing the hook
-- succeeds, and setting one says it is not supported.
print(debug.gethook())
print(pcall(debug.sethook))
print(pcall(debug.sethook, coroutine.create(print)))
print(pcall(debug.sethook, print, "l"))
print(pcall(debug.sethook, coroutine.create(print), print, "c"))
-- Output:
-- nil		0
-- true
-- true
-- false	debug.sethook is not supported: the VM has no line, call or count hooks (a chunk is stopped by Ctrl-C or its context instead)
-- false	debug.sethook is not supported: the VM has no line, call or count hooks (a chunk is stopped by Ctrl-C or its context instead)
