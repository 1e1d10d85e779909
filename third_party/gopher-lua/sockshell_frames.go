package lua

// sockshell: the VM's calls reach an auto-growing call-frame stack (the
// one sockshell uses) directly rather than through the callFrameStack
// interface, and fill the new frame in place rather than building one and
// copying it in. See README.sockshell.md.

// pushFrame reserves the next call frame and returns it for the caller to
// fill, every field but Idx: the slot may hold a frame that returned.
func (ls *LState) pushFrame() *callFrame {
	if fs := ls.frames; fs != nil && fs.segSp < FramesPerSegment {
		f := &fs.segments[fs.segIdx].array[fs.segSp]
		f.Idx = int(fs.segSp) + FramesPerSegment*int(fs.segIdx)
		fs.segSp++
		return f
	}
	return ls.pushFrameSlow()
}

// pushFrameSlow is pushFrame across a segment's end, or on a fixed stack.
func (ls *LState) pushFrameSlow() *callFrame {
	if ls.stack.IsFull() {
		ls.RaiseError("stack overflow")
	}
	ls.stack.Push(callFrame{})
	return ls.stack.Last()
}

// popFrame pops the running call frame and returns the one below it, nil
// when there is none.
func (ls *LState) popFrame() *callFrame {
	_, below := ls.popFrames()
	return below
}

// popFrames pops the running call frame and returns it and the one below
// it, nil when there is none.
func (ls *LState) popFrames() (popped, below *callFrame) {
	if fs := ls.frames; fs != nil && fs.segSp > 1 {
		fs.segSp--
		seg := fs.segments[fs.segIdx]
		return &seg.array[fs.segSp], &seg.array[fs.segSp-1]
	}
	popped = ls.stack.Pop()
	return popped, ls.stack.Last()
}

// setStack gives ls the call-frame stack cs.
func (ls *LState) setStack(cs callFrameStack) {
	ls.stack = cs
	ls.frames, _ = cs.(*autoGrowingCallFrameStack)
}

// clearRegs sets the registers a to Go nil. A call leaves a few above the
// new top: for those a loop is cheaper than the runtime's memclr (with
// its write barrier), which the range form of the loop compiles to.
func clearRegs(a []LValue) {
	if len(a) > 8 {
		clear(a)
		return
	}
	for i := 0; i < len(a); i++ {
		a[i] = nil
	}
}

// FrameRegister is register n of the running Lua function: what a call or
// an operand that failed held, for a message about it (ExplainError). Nil
// where there is no such register.
func (ls *LState) FrameRegister(n int) LValue {
	cf := ls.currentFrame
	if cf == nil || n < 0 {
		return LNil
	}
	i := cf.LocalBase + n
	if i >= ls.reg.Top() {
		return LNil
	}
	if v := ls.reg.Get(i); v != nil {
		return v
	}
	return LNil
}
