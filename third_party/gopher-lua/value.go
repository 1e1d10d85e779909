package lua

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync/atomic"
	"weak"
)

type LValueType int

const (
	LTNil LValueType = iota
	LTBool
	LTNumber
	LTString
	LTFunction
	LTUserData
	LTThread
	LTTable
	LTChannel
)

var lValueNames = [9]string{"nil", "boolean", "number", "string", "function", "userdata", "thread", "table", "channel"}

func (vt LValueType) String() string {
	return lValueNames[int(vt)]
}

type LValue interface {
	String() string
	Type() LValueType
}

// LVIsFalse returns true if a given LValue is a nil or false otherwise false.
func LVIsFalse(v LValue) bool { return v == LNil || v == LFalse }

// LVIsFalse returns false if a given LValue is a nil or false otherwise true.
func LVAsBool(v LValue) bool { return v != LNil && v != LFalse }

// LVAsString returns string representation of a given LValue
// if the LValue is a string or number, otherwise an empty string.
func LVAsString(v LValue) string {
	switch sn := v.(type) {
	case LString, LNumber:
		return sn.String()
	default:
		return ""
	}
}

// LVCanConvToString returns true if a given LValue is a string or number
// otherwise false.
func LVCanConvToString(v LValue) bool {
	switch v.(type) {
	case LString, LNumber:
		return true
	default:
		return false
	}
}

// LVAsNumber tries to convert a given LValue to a number.
func LVAsNumber(v LValue) LNumber {
	switch lv := v.(type) {
	case LNumber:
		return lv
	case LString:
		if num, err := parseNumber(string(lv)); err == nil {
			return num
		}
	}
	return LNumber(0)
}

type LNilType struct{}

func (nl *LNilType) String() string   { return "nil" }
func (nl *LNilType) Type() LValueType { return LTNil }

var LNil = LValue(&LNilType{})

type LBool bool

func (bl LBool) String() string {
	if bool(bl) {
		return "true"
	}
	return "false"
}
func (bl LBool) Type() LValueType { return LTBool }

var LTrue = LBool(true)
var LFalse = LBool(false)

type LString string

func (st LString) String() string   { return string(st) }
func (st LString) Type() LValueType { return LTString }

// fmt.Formatter interface
func (st LString) Format(f fmt.State, c rune) {
	switch c {
	case 'd', 'i':
		if nm, err := parseNumber(string(st)); err != nil {
			defaultFormat(nm, f, 'd')
		} else {
			defaultFormat(string(st), f, 's')
		}
	default:
		defaultFormat(string(st), f, c)
	}
}

// String formats the number as Lua 5.1 does (its "%.14g"): 0.3 for
// 0.1+0.2, 1e+15, -0, and inf, -inf, nan (-nan with the sign bit set, as
// C prints 0/0 on common machines). sockshell: see README.sockshell.md.
func (nm LNumber) String() string {
	f := float64(nm)
	switch {
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0 && math.Signbit(f):
		return "-0"
	case f > -1e14 && f < 1e14 && isInteger(nm):
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

func (nm LNumber) Type() LValueType { return LTNumber }

// fmt.Formatter interface
func (nm LNumber) Format(f fmt.State, c rune) {
	switch c {
	case 'q', 's':
		defaultFormat(nm.String(), f, c)
	case 'b', 'c', 'd', 'o', 'x', 'X', 'U':
		defaultFormat(int64(nm), f, c)
	case 'e', 'E', 'f', 'F', 'g', 'G':
		defaultFormat(float64(nm), f, c)
	case 'i':
		defaultFormat(int64(nm), f, 'd')
	default:
		defaultFormat(nm.String(), f, 's') // sockshell: as Lua prints it
	}
}

type LTable struct {
	Metatable LValue

	array   []LValue
	dict    map[LValue]LValue
	strdict map[string]LValue
	keys    []LValue
	k2i     map[LValue]int

	// index caches the table's "__index" field for its use as a
	// metatable (indexField); indexSet says it is filled. RawSetString,
	// where every string key is written, empties it when "__index"
	// changes. sockshell: see README.sockshell.md.
	index    LValue
	indexSet bool

	// gen counts the writes of string keys (RawSetString), so that a
	// fieldCache can tell that what it remembers of the table still
	// holds. sockshell: see README.sockshell.md.
	gen uint64

	// weak says which of the table's keys and values it holds weakly:
	// weakKeys, weakValues. sockshell: sockshell_weak.go.
	weak uint8
}

func (tb *LTable) String() string   { return fmt.Sprintf("table: %p", tb) }
func (tb *LTable) Type() LValueType { return LTTable }

type LFunction struct {
	IsG       bool
	Env       *LTable
	Proto     *FunctionProto
	GFunction LGFunction
	Upvalues  []*Upvalue
}
type LGFunction func(*LState) int

func (fn *LFunction) String() string   { return fmt.Sprintf("function: %p", fn) }
func (fn *LFunction) Type() LValueType { return LTFunction }

type Global struct {
	MainThread    *LState
	CurrentThread *LState
	Registry      *LTable
	Global        *LTable

	// sockshell: an array by type, not a map (one map look-up per method
	// call on a string); nil where a type has none.
	builtinMts [len(lValueNames)]LValue
	tempFiles  []*os.File
	gccount    int32
	// sockshell: what collectgarbage("setpause") and ("setstepmul") set.
	gcPause, gcStepMul int
	// sockshell: the weak tables, swept after a collection (sockshell_weak.go).
	weakTables []weak.Pointer[LTable]

	// OpenFile, when set, opens the files of the io library (io.open,
	// io.lines, io.input, io.output) in place of os.OpenFile: a host can
	// limit which files Lua code reaches. sockshell: see
	// README.sockshell.md.
	OpenFile func(path string, flag int, perm os.FileMode) (*os.File, error)

	// AllocCheck, when set, is asked before the VM makes a string of at
	// least 64 KiB by concatenation; an error it returns is raised as a
	// Lua error with its message and no position, as C Lua raises "not
	// enough memory". sockshell: see README.sockshell.md.
	AllocCheck func(bytes int) error

	// ExplainError, when set, may reword an error the VM raises in a Lua
	// function — a call of a value that is no function, an index of one
	// that is no table, arithmetic on a wrong operand — given the function
	// and the instruction (pc) that failed, while the function's frame is
	// still there to read. It gets the whole message, position first, and
	// returns it as it shall read; pcall and message handlers see that.
	// sockshell: see README.sockshell.md.
	ExplainError func(L *LState, fn *LFunction, pc int, msg string) string

	// Poked, when set, is called by a thread of this state that runs Lua
	// code under a context when Poke was called, before its next
	// instruction; it may raise an error there, as a memory budget does
	// when the heap has passed it. sockshell: see README.sockshell.md.
	Poked func(L *LState)
}

type LState struct {
	G       *Global
	Parent  *LState
	Env     *LTable
	Panic   func(*LState)
	Dead    bool
	Options Options

	stop  int32
	reg   *registry
	stack callFrameStack
	// sockshell: frames is stack when it grows by segments (see
	// pushFrame), nil otherwise.
	frames       *autoGrowingCallFrameStack
	alloc        *allocator
	currentFrame *callFrame
	wrapped      bool
	resumed      bool // sockshell: started by Resume, a coroutine, with no host frame below it
	uvcache      *Upvalue
	hasErrorFunc bool
	mainLoop     func(*LState, *callFrame)
	ctx          context.Context
	ctxCancelFn  context.CancelFunc

	// sockshell: the context the VM loop watches, and the flag its end
	// sets (see watchContext).
	watched context.Context
	stopped *atomic.Bool
	unwatch func() bool
	// watchedDone is the watched context's Done channel while it is the
	// thread's context, nil once SetContext or RemoveContext changed that.
	watchedDone <-chan struct{}
}

func (ls *LState) String() string   { return fmt.Sprintf("thread: %p", ls) }
func (ls *LState) Type() LValueType { return LTThread }

type LUserData struct {
	Value     interface{}
	Env       *LTable
	Metatable LValue
}

func (ud *LUserData) String() string   { return fmt.Sprintf("userdata: %p", ud) }
func (ud *LUserData) Type() LValueType { return LTUserData }

type LChannel chan LValue

func (ch LChannel) String() string   { return fmt.Sprintf("channel: %p", ch) }
func (ch LChannel) Type() LValueType { return LTChannel }
