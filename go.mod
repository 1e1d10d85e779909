module github.com/sockshell/sockshell

go 1.25.0

require (
	github.com/chzyer/readline v1.5.1
	github.com/creack/pty v1.1.24
	github.com/hinshun/vt10x v0.0.0-20220301184237-5011da428d02
	github.com/yuin/gopher-lua v1.1.2
)

require (
	github.com/google/gopacket v1.1.19
	golang.org/x/sys v0.37.0
)

require golang.org/x/net v0.0.0-20190620200207-3b0461eec859 // indirect

replace github.com/yuin/gopher-lua => ./third_party/gopher-lua
