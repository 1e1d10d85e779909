package ast

import (
	"fmt"
)

type Position struct {
	Source string
	Line   int
	Column int
}

type Token struct {
	Type int
	Name string
	Str  string
	Pos  Position
	// NewLine says that a line ended between this token and the one
	// before it. sockshell: see README.sockshell.md.
	NewLine bool
	// Raw is a string token as the source wrote it ('aa', [[a]]), which
	// an error near it shows, as Lua 5.1 does. sockshell.
	Raw string
}

func (self *Token) String() string {
	return fmt.Sprintf("<type:%v, str:%v>", self.Name, self.Str)
}
