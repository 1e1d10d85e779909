package lua

// sockshell: method calls look up the metatable's __index field in a
// cache of the table's (LTable.index), one map lookup fewer per call on a
// string or a userdata. See README.sockshell.md.

// indexField is tb's "__index" field, through the cache.
func (tb *LTable) indexField() LValue {
	if !tb.indexSet {
		tb.index, tb.indexSet = tb.RawGetString("__index"), true
	}
	return tb.index
}

// metaIndex is metaOp1(obj, "__index") through the metatable's cache.
func (ls *LState) metaIndex(obj LValue) LValue {
	if mt, ok := ls.metatable(obj, true).(*LTable); ok {
		return mt.indexField()
	}
	return LNil
}
