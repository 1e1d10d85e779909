package lua

// sockshell: weak tables. A table whose metatable has a __mode field when
// setmetatable gives it holds its collectable keys ("k"), values ("v") or
// both through weak pointers, so that the Go collector frees what only
// weak tables still reach, as Lua 5.1's collector does. See
// README.sockshell.md.

import (
	"strings"
	"weak"
)

// The bits of LTable.weak.
const (
	weakKeys   = 1
	weakValues = 2
)

// weakRef is a table, function, userdata or thread that a weak table holds
// without keeping it alive. Two weakRefs of one object are equal, so a
// weakRef is a key of a table's maps as its object would be. It never
// leaves the table: every read gives the object, or nil once it is gone.
type weakRef struct{ p any }

func (w weakRef) String() string   { return "weak reference" }
func (w weakRef) Type() LValueType { return LTNil }

// weaken is v as a weak table holds it: a weakRef when v is collectable.
func weaken(v LValue) LValue {
	switch x := v.(type) {
	case *LTable:
		return weakRef{weak.Make(x)}
	case *LFunction:
		return weakRef{weak.Make(x)}
	case *LUserData:
		return weakRef{weak.Make(x)}
	case *LState:
		return weakRef{weak.Make(x)}
	}
	return v
}

// strong is what a weak table holds as v: the object of a weakRef, or nil
// when the collector has freed it; any other value as it is.
func strong(v LValue) LValue {
	w, ok := v.(weakRef)
	if !ok {
		return v
	}
	switch p := w.p.(type) {
	case weak.Pointer[LTable]:
		if x := p.Value(); x != nil {
			return x
		}
	case weak.Pointer[LFunction]:
		if x := p.Value(); x != nil {
			return x
		}
	case weak.Pointer[LUserData]:
		if x := p.Value(); x != nil {
			return x
		}
	case weak.Pointer[LState]:
		if x := p.Value(); x != nil {
			return x
		}
	}
	return LNil
}

// weakMode is the mode a metatable gives the tables it is set on.
func weakMode(mt LValue) uint8 {
	m, ok := mt.(*LTable)
	if !ok {
		return 0
	}
	s, ok := m.RawGetString("__mode").(LString)
	if !ok {
		return 0
	}
	var mode uint8
	if strings.IndexByte(string(s), 'k') >= 0 {
		mode |= weakKeys
	}
	if strings.IndexByte(string(s), 'v') >= 0 {
		mode |= weakValues
	}
	return mode
}

// setWeakMode makes tb hold its contents as mode says, moving what it
// holds. A weak table keeps everything in its hash part, so that nothing
// reads a weakRef out of its array.
func (tb *LTable) setWeakMode(G *Global, mode uint8) {
	if mode == tb.weak {
		return
	}
	var keys, values []LValue
	tb.ForEach(func(k, v LValue) {
		keys = append(keys, k)
		values = append(values, v)
	})
	tb.array, tb.dict, tb.strdict, tb.keys, tb.k2i = nil, nil, nil, nil, nil
	tb.indexSet = false
	tb.gen++
	tb.weak = mode
	for i, k := range keys {
		tb.RawSet(k, values[i])
	}
	if mode != 0 && G != nil {
		G.weakTables = append(G.weakTables, weak.Make(tb))
	}
}

// weakKey is key as tb's maps hold it.
func (tb *LTable) weakKey(key LValue) LValue {
	if tb.weak&weakKeys != 0 {
		return weaken(key)
	}
	return key
}

// weakSet is RawSet for a weak table.
func (tb *LTable) weakSet(key, value LValue) {
	if s, ok := key.(LString); ok {
		tb.RawSetString(string(s), value)
		return
	}
	if tb.weak&weakValues != 0 {
		value = weaken(value)
	}
	tb.setH(tb.weakKey(key), value)
}

// weakGet is RawGet for a weak table.
func (tb *LTable) weakGet(key LValue) LValue {
	if s, ok := key.(LString); ok {
		return tb.RawGetString(string(s))
	}
	if v, ok := tb.dict[tb.weakKey(key)]; ok {
		return strong(v)
	}
	return LNil
}

// weakNext is Next for a weak table: the entries after key, skipping those
// whose key or value the collector has freed.
func (tb *LTable) weakNext(key LValue) (LValue, LValue) {
	i := 0
	if key != LNil {
		i = tb.k2i[tb.weakKey(key)] + 1
	}
	for ; i < len(tb.keys); i++ {
		stored := tb.keys[i]
		var v LValue
		if s, ok := stored.(LString); ok {
			v = strong(tb.strdict[string(s)])
		} else if tb.dict != nil {
			v = strong(tb.dict[stored])
		}
		if k := strong(stored); k != LNil && v != nil && v != LNil {
			return k, v
		}
	}
	return LNil, LNil
}

// weakLen is Len for a weak table: its border from 1.
func (tb *LTable) weakLen() int {
	n := 0
	for tb.weakGet(LNumber(n+1)) != LNil {
		n++
	}
	return n
}

// sweepWeak removes from tb the entries whose key or value the collector
// has freed, as Lua's collector clears weak tables.
func (tb *LTable) sweepWeak() {
	live := tb.keys[:0]
	k2i := make(map[LValue]int, len(tb.keys))
	for _, stored := range tb.keys {
		var v LValue
		s, isString := stored.(LString)
		if isString {
			v = tb.strdict[string(s)]
		} else {
			v = tb.dict[stored]
		}
		if v == nil || strong(stored) == LNil || strong(v) == LNil {
			if isString {
				delete(tb.strdict, string(s))
			} else {
				delete(tb.dict, stored)
			}
			continue
		}
		k2i[stored] = len(live)
		live = append(live, stored)
	}
	clear(tb.keys[len(live):])
	tb.keys, tb.k2i = live, k2i
}

// sweepWeakTables sweeps every weak table of G that is still alive, after
// a collection.
func (G *Global) sweepWeakTables() {
	live := G.weakTables[:0]
	for _, p := range G.weakTables {
		if tb := p.Value(); tb != nil && tb.weak != 0 {
			tb.sweepWeak()
			live = append(live, p)
		}
	}
	clear(G.weakTables[len(live):])
	G.weakTables = live
}
