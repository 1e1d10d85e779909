-- string.dump cannot make Lua 5.1 bytecode here, and says so.
print(pcall(string.dump, function() end))
-- Output:
-- false	string.dump is not supported: functions compile to Go structures, not to Lua 5.1 bytecode
