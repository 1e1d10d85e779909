// Package culprit names the culprit of a Lua error as Lua 5.1 does —
// "attempt to call global 'recvfom' (a nil value)", "attempt to index
// local 's' (a nil value)" — where gopher-lua's message names neither the
// variable nor the value's type, reading the failing function's bytecode
// and debug information; for a missing method it lists what the object
// has and the closest name. A session registers an Explainer as its
// state's Global.ExplainError (Raised) and uses Explain for errors raised
// some other way; nothing here changes a process-wide hook.
package culprit

import (
	"fmt"
	"iter"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// gopher-lua's messages for a call of a value that is no function and an
// index of a value that is no table, which name neither the variable nor
// (for calls) the value's type. Compiled on the first error, not at every
// start.
var (
	callMsg  = lazyRegexp(`^(.*)attempt to call a non-function object$`)
	indexMsg = lazyRegexp(`^(.*)attempt to index a non-table object\((\w+)\) with key '(.*)'$`)
	arithMsg = lazyRegexp(`^(.*)cannot perform (add|sub|mul|div|mod|pow|unm|concat) operation between (\w+) and (\w+)$`)
	// Lua 5.1's words for a unary operand, which the VM raises already.
	unaryMsg = lazyRegexp(`^(.*)attempt to (perform arithmetic on|get length of) a (\w+) value$`)
)

// lazyRegexp is a regular expression compiled when first asked for.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// arithOps are the instructions of gopher-lua's operation names.
var arithOps = map[string]int{
	"add": lua.OP_ADD, "sub": lua.OP_SUB, "mul": lua.OP_MUL, "div": lua.OP_DIV,
	"mod": lua.OP_MOD, "pow": lua.OP_POW, "unm": lua.OP_UNM, "concat": lua.OP_CONCAT,
}

// An Explainer rewords errors for one session. Kind, when set, names the
// kind of a userdata whose methods a message lists ("udp sockets have
// close, …"), and says whether it knows it.
type Explainer struct {
	Kind func(ud *lua.LUserData) (string, bool)
	// Missing, when set, hints at what a global that is nil stands for,
	// where the host knows ("it is a module: dns = require \"dns\""), or
	// returns "". Without a hint, the closest global name is offered.
	Missing func(name string) string
}

// Explain rewrites msg, an error just raised in the Lua function at level
// 1 of L's stack (L runs the error handler at level 0), to name the
// culprit as Lua 5.1 does: "attempt to call global 'recvfom' (a nil
// value)", "attempt to call method 'recvfom' (a nil value)", "attempt to
// index local 's' (a nil value)". It reads the function's bytecode and
// debug information around the failing line; where it cannot tell, msg
// stays as it was. For a method or global missing, it adds the closest
// name there is. Most errors were reworded already as they were raised
// (Raised); this is for those raised some other way.
func (e *Explainer) Explain(L *lua.LState, msg string) string {
	callee := ""
	if d0, ok := L.GetStack(0); ok {
		if _, err := L.GetInfo("n", d0, lua.LNil); err == nil {
			callee = d0.Name
		}
	}
	return e.at(L, 1, -1, callee, msg)
}

// Raised is Explain for an error the VM raises in fn, the running
// function, at instruction pc (the state's G.ExplainError): the
// instruction that failed is known, so two calls or indexes on one line
// are told apart, and pcall gets the same words as an uncaught error.
func (e *Explainer) Raised(L *lua.LState, fn *lua.LFunction, pc int, msg string) string {
	if fn.Proto == nil || pc >= len(fn.Proto.Code) {
		return msg
	}
	return e.at(L, 0, pc, "", msg)
}

// at is Explain for the function at level of L's stack; at is the pc of
// the instruction that failed, or -1 when only its line is known, and
// callee then the name the failed call went by.
func (e *Explainer) at(L *lua.LState, level, at int, callee, msg string) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return msg
	}
	fnv, err := L.GetInfo("Slf", dbg, lua.LNil)
	fn, isFn := fnv.(*lua.LFunction)
	if err != nil || !isFn || fn.Proto == nil || dbg.CurrentLine <= 0 {
		return msg
	}
	f := frameInfo{L: L, dbg: dbg, proto: fn.Proto, line: dbg.CurrentLine, at: at, kind: e.Kind, missing: e.Missing}
	if m := callMsg().FindStringSubmatch(msg); m != nil {
		if what := f.called(callee); what != nil {
			return m[1] + "attempt to call " + what.String()
		}
		if f.at >= 0 {
			// No name for it, as Lua 5.1 then says: the type of what the
			// call (or a generic for's iterator call) found.
			switch in := f.proto.Code[f.at]; opcode(in) {
			case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_TFORLOOP:
				return m[1] + fmt.Sprintf("attempt to call a %s value", f.L.FrameRegister(argA(in)).Type())
			}
		}
		return msg
	}
	if m := arithMsg().FindStringSubmatch(msg); m != nil {
		verb := "perform arithmetic on"
		if m[2] == "concat" {
			verb = "concatenate"
		}
		// As Lua 5.1: the left operand when it is the wrong kind, else the right.
		left := m[3] != "number" && !(m[2] == "concat" && m[3] == "string")
		typ := m[4]
		if left {
			typ = m[3]
		}
		if what := f.operand(arithOps[m[2]], left); what != nil {
			what.typ = typ
			return m[1] + "attempt to " + verb + " " + what.String()
		}
		return m[1] + fmt.Sprintf("attempt to %s a %s value", verb, typ)
	}
	if m := unaryMsg().FindStringSubmatch(msg); m != nil {
		op := lua.OP_UNM
		if m[2] == "get length of" {
			op = lua.OP_LEN
		}
		if what := f.operand(op, true); what != nil {
			what.typ = m[3]
			return m[1] + "attempt to " + m[2] + " " + what.String()
		}
		return msg
	}
	if m := indexMsg().FindStringSubmatch(msg); m != nil {
		if what := f.indexed(m[3]); what != nil {
			what.typ = m[2]
			if what.kind == "global" && what.typ == "nil" {
				what.hint = f.globalHint(what.name)
			}
			return m[1] + "attempt to index " + what.String()
		}
		return m[1] + fmt.Sprintf("attempt to index a %s value (key '%s')", m[2], m[3])
	}
	return msg
}

// frameInfo is the function an error happened in, its line, and the
// instruction that failed when that is known (at >= 0).
type frameInfo struct {
	L       *lua.LState
	dbg     *lua.Debug
	proto   *lua.FunctionProto
	line    int
	at      int
	kind    func(*lua.LUserData) (string, bool) // Explainer.Kind
	missing func(string) string                 // Explainer.Missing
}

// candidate tells whether the instruction at pc may be the one that
// failed.
func (f frameInfo) candidate(pc int) bool { return f.at < 0 || pc == f.at }

// culprit is the variable a bad call or index was made through.
type culprit struct {
	kind, name string // "global", "local", "method", "field", "upvalue"
	typ        string // of its value, when known
	hint       string // "did you mean 'recvfrom'?"
	localNo    int    // a local's number among the active ones, for GetLocal
}

// String is the culprit as an error names it: "global 'x' (a nil value)".
func (c *culprit) String() string {
	s := fmt.Sprintf("%s '%s'", c.kind, c.name)
	if c.typ != "" {
		s += fmt.Sprintf(" (a %s value)", c.typ)
	}
	if c.hint != "" {
		s += "; " + c.hint
	}
	return s
}

// Instruction fields, as gopher-lua lays them out.
func opcode(i uint32) int { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }

// constant is RK(x) when it is a string constant.
func (f frameInfo) constant(rk int) (string, bool) {
	if rk&0x100 == 0 {
		return "", false
	}
	k := rk &^ 0x100
	if k < len(f.proto.Constants) {
		if s, ok := f.proto.Constants[k].(lua.LString); ok {
			return string(s), true
		}
	}
	return "", false
}

// key is the string RK(rk) holds at pc: a constant, or a register that
// a LOADK on the line loaded.
func (f frameInfo) key(rk, pc int, pcs []int) (string, bool) {
	if s, ok := f.constant(rk); ok || rk&0x100 != 0 {
		return s, ok
	}
	for i := len(pcs) - 1; i >= 0; i-- {
		p := pcs[i]
		if in := f.proto.Code[p]; p < pc && argA(in) == rk {
			if opcode(in) == lua.OP_LOADK && argBx(in) < len(f.proto.Constants) {
				if s, ok := f.proto.Constants[argBx(in)].(lua.LString); ok {
					return string(s), true
				}
			}
			return "", false
		}
	}
	return "", false
}

// onLine lists the pcs of the instructions of the failing line.
func (f frameInfo) onLine() []int {
	var pcs []int
	for pc, line := range f.proto.DbgSourcePositions {
		if line == f.line && pc < len(f.proto.Code) {
			pcs = append(pcs, pc)
		}
	}
	return pcs
}

// local is the name of the local variable in register reg at pc, and its
// number among the active locals (for GetLocal).
func (f frameInfo) local(reg, pc int) (string, int) {
	n := 0
	for _, l := range f.proto.DbgLocals {
		if l.StartPc <= pc && pc < l.EndPc {
			if n == reg {
				return l.Name, n + 1
			}
			n++
		}
	}
	return "", 0
}

// writesA tells the instructions that write their register A; the others
// read it (SETGLOBAL, TEST) or use the field for something else (JMP).
func writesA(op int) bool {
	switch op {
	case lua.OP_JMP, lua.OP_TEST, lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_SETGLOBAL, lua.OP_SETUPVAL,
		lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_SETLIST, lua.OP_RETURN, lua.OP_CLOSE:
		return false
	}
	return true
}

// register names what register reg holds just before pc: a local, or
// what the last instruction before pc on the same line loaded into it.
func (f frameInfo) register(reg, pc int, pcs []int) *culprit {
	// A for loop's hidden locals ("(for index)") hold what their
	// expressions computed there: what loaded it names it, as in Lua 5.1.
	if name, n := f.local(reg, pc); name != "" && name[0] != '(' {
		return &culprit{kind: "local", name: name, localNo: n}
	}
	for i := len(pcs) - 1; i >= 0; i-- {
		p := pcs[i]
		if p >= pc {
			continue
		}
		in := f.proto.Code[p]
		if argA(in) != reg || !writesA(opcode(in)) {
			continue
		}
		switch opcode(in) {
		case lua.OP_GETGLOBAL:
			if k := argBx(in); k < len(f.proto.Constants) {
				name := f.proto.Constants[k].String()
				return &culprit{kind: "global", name: name}
			}
		case lua.OP_GETTABLEKS, lua.OP_GETTABLE:
			if name, ok := f.key(argC(in), p, pcs); ok {
				return &culprit{kind: "field", name: name}
			}
		case lua.OP_SELF:
			if name, ok := f.constant(argC(in)); ok {
				return &culprit{kind: "method", name: name}
			}
		case lua.OP_GETUPVAL:
			if b := argB(in); b < len(f.proto.DbgUpvalues) {
				return &culprit{kind: "upvalue", name: f.proto.DbgUpvalues[b]}
			}
		case lua.OP_MOVE:
			if name, n := f.local(argB(in), p); name != "" {
				return &culprit{kind: "local", name: name, localNo: n}
			}
		}
		return nil // loaded some other way
	}
	return nil
}

// called finds the call that failed on the line: of its calls, the one
// whose function is named callee (gopher-lua names it from the failing
// instruction), or the only one.
func (f frameInfo) called(callee string) *culprit {
	pcs := f.onLine()
	var found []*culprit
	var at []int
	for _, pc := range pcs {
		in := f.proto.Code[pc]
		if op := opcode(in); !f.candidate(pc) || op != lua.OP_CALL && op != lua.OP_TAILCALL {
			continue
		}
		if c := f.register(argA(in), pc, pcs); c != nil {
			found = append(found, c)
			at = append(at, pc)
		}
	}
	pick := -1
	for i, c := range found {
		if c.name == callee {
			if pick >= 0 {
				return nil // two calls of that name: cannot tell which
			}
			pick = i
		}
	}
	if pick < 0 && len(found) == 1 {
		pick = 0
	}
	if pick < 0 {
		return nil
	}
	c := found[pick]
	f.evaluate(c, at[pick], pcs)
	if f.at >= 0 && c.typ == "" {
		// Raised at the call: its register holds what was called.
		c.typ = f.L.FrameRegister(argA(f.proto.Code[f.at])).Type().String()
	}
	return c
}

// indexed finds the index with key that failed on the line.
func (f frameInfo) indexed(key string) *culprit {
	pcs := f.onLine()
	var found []*culprit
	for _, pc := range pcs {
		in := f.proto.Code[pc]
		if !f.candidate(pc) {
			continue
		}
		var obj, rk int
		switch opcode(in) {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			obj, rk = argB(in), argC(in)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			obj, rk = argA(in), argB(in)
		default:
			continue
		}
		// Where the failing instruction is known, its key needs no match
		// (a key computed at run time: t[x or y]).
		if k, ok := f.key(rk, pc, pcs); f.at < 0 && (!ok || k != key) {
			continue
		}
		if c := f.register(obj, pc, pcs); c != nil {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

// operand finds the operand of the line's one instruction op that failed:
// its left one (B) or its right one (C).
func (f frameInfo) operand(op int, left bool) *culprit {
	pcs := f.onLine()
	var found []*culprit
	for _, pc := range pcs {
		in := f.proto.Code[pc]
		if !f.candidate(pc) || opcode(in) != op {
			continue
		}
		b, c := argB(in), argC(in)
		if op == lua.OP_CONCAT && c != b+1 {
			continue // a chain: which pair failed cannot be told
		}
		rk := c
		if left || op == lua.OP_UNM || op == lua.OP_LEN {
			rk = b
		}
		if rk&0x100 != 0 {
			continue // a constant is never the culprit
		}
		if w := f.register(rk, pc, pcs); w != nil {
			found = append(found, w)
		}
	}
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

// evaluate fills in the type of a called value where it can be read
// without running any code (globals and locals, raw), and a hint: the
// closest global name, or the methods an object has.
func (f frameInfo) evaluate(c *culprit, pc int, pcs []int) {
	switch c.kind {
	case "global":
		v := f.L.G.Global.RawGetString(c.name)
		c.typ = v.Type().String()
		if v == lua.LNil {
			c.hint = f.globalHint(c.name)
		}
	case "local":
		if _, v := f.L.GetLocal(f.dbg, c.localNo); v != nil {
			c.typ = v.Type().String()
		}
	case "method":
		if f.at >= 0 {
			// Raised at the call: the object is its first argument.
			c.typ, c.hint = f.methodHint(f.L.FrameRegister(argA(f.proto.Code[pc])+1), c.name)
			return
		}
		// The object is the SELF's register B; read it when it is a local.
		for i := len(pcs) - 1; i >= 0; i-- {
			p := pcs[i]
			in := f.proto.Code[p]
			if p >= pc || opcode(in) != lua.OP_SELF || argA(in) != argA(f.proto.Code[pc]) {
				continue
			}
			if obj, ok := f.value(argB(in), p, pcs); ok {
				c.typ, c.hint = f.methodHint(obj, c.name)
			}
			break
		}
	}
}

// globalHint is what a nil global name may have meant: what the host
// says of it (Explainer.Missing), or the closest global name.
func (f frameInfo) globalHint(name string) string {
	if f.missing != nil {
		if hint := f.missing(name); hint != "" {
			return hint
		}
	}
	globals := func(yield func(string) bool) {
		for k, _ := f.L.G.Global.Next(lua.LNil); k != lua.LNil; k, _ = f.L.G.Global.Next(k) {
			if s, ok := k.(lua.LString); ok && !yield(string(s)) {
				return
			}
		}
	}
	if near := closest(name, globals); near != "" {
		return fmt.Sprintf("did you mean '%s'?", near)
	}
	return ""
}

// value reads what register reg holds at pc, where that needs no code
// run: a local's value, or a global's (raw) that an instruction on the line
// loaded into it.
func (f frameInfo) value(reg, pc int, pcs []int) (lua.LValue, bool) {
	if _, n := f.local(reg, pc); n > 0 {
		_, v := f.L.GetLocal(f.dbg, n)
		return v, v != nil
	}
	for i := len(pcs) - 1; i >= 0; i-- {
		p := pcs[i]
		in := f.proto.Code[p]
		if p >= pc || argA(in) != reg {
			continue
		}
		if opcode(in) == lua.OP_GETGLOBAL && argBx(in) < len(f.proto.Constants) {
			return f.L.G.Global.RawGetString(f.proto.Constants[argBx(in)].String()), true
		}
		break
	}
	return nil, false
}

// methodHint tells, for a method name missing on obj, the type of what
// was found (nil) and the methods obj has, with the closest.
func (f frameInfo) methodHint(obj lua.LValue, name string) (typ, hint string) {
	var methods *lua.LTable
	switch v := obj.(type) {
	case *lua.LUserData:
		if mt, ok := v.Metatable.(*lua.LTable); ok {
			methods, _ = mt.RawGetString("__index").(*lua.LTable)
		}
	case *lua.LTable:
		if v.RawGetString(name) != lua.LNil {
			return "", ""
		}
		methods = v
	}
	if methods == nil || methods.RawGetString(name) != lua.LNil {
		return "", ""
	}
	var names []string
	methods.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && v.Type() == lua.LTFunction {
			names = append(names, string(s))
		}
	})
	sort.Strings(names)
	if len(names) == 0 {
		return "nil", ""
	}
	what := "it has " + strings.Join(names, ", ")
	if ud, ok := obj.(*lua.LUserData); ok && f.kind != nil {
		if kind, ok := f.kind(ud); ok {
			what = fmt.Sprintf("%s sockets have %s", kind, strings.Join(names, ", "))
		}
	}
	if near := Closest(name, names); near != "" {
		what += fmt.Sprintf("; did you mean '%s'?", near)
	}
	return "nil", what
}

// Closest is the name in names nearest to s, if it is near enough to be
// a slip of the fingers; "" when none is, or s is one of them.
func Closest(s string, names []string) string { return closest(s, slices.Values(names)) }

func closest(s string, names iter.Seq[string]) string {
	best, bestD := "", len(s)/3+1
	var rows [64]int
	work := rows[:0]
	for n := range names {
		// The distance is at least the difference in length.
		if diff := len(n) - len(s); diff > bestD || -diff > bestD {
			continue
		}
		if d := distance(s, n, &work); d < bestD || d == bestD && best != "" && n < best {
			best, bestD = n, d
		}
	}
	if best == s {
		return ""
	}
	return best
}

// distance is the edit distance of a and b; rows is room for its work,
// kept from one call to the next.
func distance(a, b string, rows *[]int) int {
	if cap(*rows) < 2*(len(b)+1) {
		*rows = make([]int, 2*(len(b)+1))
	}
	prev := (*rows)[:len(b)+1]
	cur := (*rows)[len(b)+1 : 2*(len(b)+1)]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
