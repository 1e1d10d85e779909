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

// sockshell: a global or a method a function looks up by a constant name
// is remembered where it was found, in a fieldCache of the constant: while
// that table has had no string key written (LTable.gen), the next look-up
// of the name there returns the value without a map look-up. See
// README.sockshell.md.

// fieldCache is one constant name's last find: table tb, at write count
// gen, held val.
type fieldCache struct {
	tb  *LTable
	gen uint64
	val LValue
}

// fieldCacheOf is the cache of proto's constant k.
func (proto *FunctionProto) fieldCacheOf(k int) *fieldCache {
	if proto.fieldCaches == nil {
		proto.fieldCaches = make([]fieldCache, len(proto.stringConstants))
	}
	return &proto.fieldCaches[k]
}

// cachedGet is tb[key], through c.
func (tb *LTable) cachedGet(key string, c *fieldCache) LValue {
	if c.tb == tb && c.gen == tb.gen {
		return c.val
	}
	v := tb.RawGetString(key)
	if v != LNil {
		*c = fieldCache{tb: tb, gen: tb.gen, val: v}
	}
	return v
}

// getGlobalCached is OP_GETGLOBAL's getFieldString(fn.Env, constant k).
func (ls *LState) getGlobalCached(fn *LFunction, k int) LValue {
	return ls.getFieldCached(fn.Env, fn.Proto.stringConstants[k], fn.Proto.fieldCacheOf(k), true)
}

// getMethodCached is OP_SELF's getFieldString(obj, RK(c)); a name in a
// register is looked up as before.
func (ls *LState) getMethodCached(obj LValue, c int) LValue {
	if c&opBitRk == 0 {
		return ls.getFieldString(obj, ls.rkString(c))
	}
	k := c &^ opBitRk
	proto := ls.currentFrame.Fn.Proto
	// A userdata's or a string's method, from the table its metatable's
	// __index names: the look-up getFieldCached makes, without its loop.
	var mt *LTable
	switch o := obj.(type) {
	case *LUserData:
		mt, _ = o.Metatable.(*LTable)
	case LString:
		mt, _ = ls.G.builtinMts[LTString].(*LTable)
	}
	if mt != nil {
		if methods, ok := mt.indexField().(*LTable); ok {
			if v := methods.cachedGet(proto.stringConstants[k], proto.fieldCacheOf(k)); v != LNil {
				return v
			}
		}
	}
	return ls.getFieldCached(obj, proto.stringConstants[k], proto.fieldCacheOf(k), false)
}

// getFieldCached is getFieldString through c (nil: none). The object
// itself is looked up through c only when first is set (it is a
// function's environment): c keeps the table it names alive, which must
// not be any table a script passes around, only the environment and the
// tables reached through __index (method tables, classes), which live as
// long as what uses them anyway.
func (ls *LState) getFieldCached(obj LValue, key string, c *fieldCache, first bool) LValue {
	curobj := obj
	for i := 0; i < MaxTableGetLoop; i++ {
		tb, istable := curobj.(*LTable)
		if istable {
			var ret LValue
			if c != nil && (i > 0 || first) {
				ret = tb.cachedGet(key, c)
			} else {
				ret = tb.RawGetString(key)
			}
			if ret != LNil {
				return ret
			}
		}
		metaindex := ls.metaIndex(curobj) // a cached __index
		if metaindex == LNil {
			if !istable {
				ls.RaiseError("attempt to index a non-table object(%v) with key '%s'", curobj.Type().String(), key)
			}
			return LNil
		}
		if metaindex.Type() == LTFunction {
			ls.reg.Push(metaindex)
			ls.reg.Push(curobj)
			ls.reg.Push(LString(key))
			ls.Call(2, 1)
			return ls.reg.Pop()
		}
		curobj = metaindex
	}
	ls.RaiseError("too many recursions in gettable")
	return nil
}
