package repl

import (
	"io"
	"sync"
)

// Console is the one writer all of a session's output goes through: Lua's
// print and io.write, results, errors and prompts. Writes are serialised, so
// lines from different goroutines never interleave mid-write, and its target
// can be switched, so that while a line editor draws a prompt, output goes
// through the editor, which redraws the prompt below it.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole makes a Console that writes to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

// Write writes p to the current target in one call.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// Flush writes out what the target buffers, if it buffers.
func (c *Console) Flush() error {
	if f, ok := c.target().(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// swap makes w the target and returns the previous one.
func (c *Console) swap(w io.Writer) io.Writer {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.w
	c.w = w
	return old
}

// target is the writer output goes to now.
func (c *Console) target() io.Writer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w
}
