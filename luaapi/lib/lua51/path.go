package lua51

import (
	"os"
	"strings"
)

// systemPath is where Lua 5.1 installations keep Lua modules.
const systemPath = "/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;" +
	"/usr/local/lib/lua/5.1/?.lua;/usr/local/lib/lua/5.1/?/init.lua;" +
	"/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"

// DefaultPath is lua5.1's own package.path (Debian's build): the
// current directory, then the system's directories.
const DefaultPath = "./?.lua;" + systemPath

// Path is the part of package.path that lua5.1 itself would search:
// $LUA_PATH, where ";;" stands for the default, or the default.
func Path() string {
	p, ok := os.LookupEnv("LUA_PATH")
	if !ok {
		return DefaultPath
	}
	return strings.Replace(p, ";;", ";"+DefaultPath+";", 1)
}
