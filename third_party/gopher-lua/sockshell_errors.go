package lua

// sockshell: runtime errors as Lua 5.1 words them. See README.sockshell.md.

// ExplainError, when set, may reword an error the VM raises in a Lua
// function — a call of a value that is no function, an index of one that
// is no table, arithmetic on a wrong operand — given the function and the
// instruction (pc) that failed, while the function's frame is still there
// to read. It gets the whole message, position first, and returns it as
// it shall read; pcall and message handlers see that. sockshell: see
// README.sockshell.md.
var ExplainError func(L *LState, fn *LFunction, pc int, msg string) string

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
