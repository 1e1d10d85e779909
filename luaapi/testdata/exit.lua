-- os.exit unwinds the script, pcall or not, and reports its code.
print("before")
pcall(os.exit, 3)
print("not reached")
-- Output:
-- before
-- Exit: 3
