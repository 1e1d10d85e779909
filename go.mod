module github.com/sockshell/sockshell

go 1.24

require (
	github.com/chzyer/readline v1.5.1
	github.com/creack/pty v1.1.24
	github.com/yuin/gopher-lua v1.1.2
)

require golang.org/x/sys v0.0.0-20220310020820-b874c991c1a5 // indirect
