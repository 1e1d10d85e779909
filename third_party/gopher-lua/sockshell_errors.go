package lua

// sockshell: runtime errors as Lua 5.1 words them. See README.sockshell.md.

// compareError raises Lua 5.1's error for an order comparison of lhs and
// rhs that has no meaning: "attempt to compare two table values",
// "attempt to compare number with nil". sockshell: see
// README.sockshell.md.
func compareError(L *LState, lhs, rhs LValue) {
	t1, t2 := lhs.Type().String(), rhs.Type().String()
	if t1 == t2 {
		L.RaiseError("attempt to compare two %v values", t1)
	}
	L.RaiseError("attempt to compare %v with %v", t1, t2)
}
