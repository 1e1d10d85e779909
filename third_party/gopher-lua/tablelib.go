package lua

import (
	"sort"
)

func OpenTable(L *LState) int {
	tabmod := L.RegisterModule(TabLibName, tableFuncs)
	L.Push(tabmod)
	return 1
}

var tableFuncs = map[string]LGFunction{
	"getn":     tableGetN,
	"foreach":  tableForeach,  // sockshell: sockshell_lua51.go
	"foreachi": tableForeachi, // sockshell: sockshell_lua51.go
	"concat":   tableConcat,
	"insert":   tableInsert,
	"maxn":     tableMaxN51, // sockshell: sockshell_lua51.go
	"remove":   tableRemove,
	"sort":     tableSort,
}

func tableSort(L *LState) int {
	tbl := L.CheckTable(1)
	sorter := lValueArraySorter{L, nil, tbl.array}
	if tbl.weak != 0 { // sockshell: a weak table's elements, sorted and put back
		sorter.Values = make([]LValue, tbl.Len())
		for i := range sorter.Values {
			sorter.Values[i] = tbl.RawGetInt(i + 1)
		}
		defer func() {
			for i, v := range sorter.Values {
				tbl.RawSetInt(i+1, v)
			}
		}()
	}
	if L.GetTop() != 1 && L.Get(2) != LNil { // sockshell: a nil comparator is none, as in Lua 5.1
		sorter.Fn = L.CheckFunction(2)
	}
	sort.Sort(sorter)
	return 0
}

func tableGetN(L *LState) int {
	L.Push(LNumber(L.CheckTable(1).Len()))
	return 1
}

func tableRemove(L *LState) int {
	tbl := L.CheckTable(1)
	// sockshell: as Lua 5.1, nothing (not nil) outside 1..#t, and the
	// elements after pos moved down through the whole table, not only its
	// array part.
	n := tbl.Len()
	pos := L.OptInt(2, n)
	if pos < 1 || pos > n {
		return 0
	}
	if n == len(tbl.array) {
		// All of 1..n in the array part: one copy.
		L.Push(tbl.Remove(pos))
		return 1
	}
	v := tbl.RawGetInt(pos)
	for i := pos; i < n; i++ {
		tbl.RawSetInt(i, tbl.RawGetInt(i+1))
	}
	tbl.RawSetInt(n, LNil)
	L.Push(v)
	return 1
}

func tableConcat(L *LState) int {
	tbl := L.CheckTable(1)
	sep := LString(L.OptString(2, ""))
	i := L.OptInt(3, 1)
	j := L.OptInt(4, tbl.Len())
	if L.GetTop() == 3 {
		if i > tbl.Len() || i < 1 {
			L.Push(emptyLString)
			return 1
		}
	}
	i = intMax(intMin(i, tbl.Len()), 1)
	j = intMin(intMin(j, tbl.Len()), tbl.Len())
	if i > j {
		L.Push(emptyLString)
		return 1
	}
	//TODO should flushing?
	retbottom := L.GetTop()
	for ; i <= j; i++ {
		v := tbl.RawGetInt(i)
		if !LVCanConvToString(v) {
			L.RaiseError("invalid value (%s) at index %d in table for concat", v.Type().String(), i)
		}
		L.Push(v)
		if i != j {
			L.Push(sep)
		}
	}
	L.Push(stringConcat(L, L.GetTop()-retbottom, L.reg.Top()-1))
	return 1
}

func tableInsert(L *LState) int {
	tbl := L.CheckTable(1)
	nargs := L.GetTop()
	if nargs != 2 && nargs != 3 {
		L.RaiseError("wrong number of arguments to 'insert'") // sockshell: as Lua 5.1
	}

	if L.GetTop() == 2 {
		tbl.Append(L.Get(2))
		return 0
	}
	tbl.Insert(int(L.CheckInt(2)), L.CheckAny(3))
	return 0
}

//
