package lua

// sockshell: AllocCheck, when set, is asked before the VM makes a string
// of at least allocCheckMin bytes by concatenation; an error it returns is
// raised as a Lua error with its message and no position, as C Lua raises
// "not enough memory". See README.sockshell.md.
var AllocCheck func(bytes int) error

// allocCheckMin is the size below which AllocCheck is not asked: small
// strings cost it nothing.
const allocCheckMin = 1 << 16

// ClearAboveTop drops the values the data stack holds above its top:
// registers of returned or unwound calls, which the VM does not always
// clear and which keep what they point at from the collector. sockshell:
// see README.sockshell.md.
func (ls *LState) ClearAboveTop() {
	rg := ls.reg
	clear(rg.array[rg.top:])
}

// ClearStaleFrames drops the call frames above the running one, which
// keep the functions (and so the upvalues) of returned or unwound calls.
// sockshell: see README.sockshell.md.
func (ls *LState) ClearStaleFrames() {
	switch cs := ls.stack.(type) {
	case *fixedCallFrameStack:
		clear(cs.array[cs.sp:])
	case *autoGrowingCallFrameStack:
		if seg := cs.segments[cs.segIdx]; seg != nil && int(cs.segSp) < FramesPerSegment {
			clear(seg.array[cs.segSp:])
		}
	}
}
