// Package scripts holds sockshell's bundled Lua scripts and the protocol
// plugins in plugins/, embedded so that an installed sockshell has them
// wherever it runs: `sockshell receiver 6000` runs receiver.lua, and
// `require "dns"` finds plugins/dns.lua when no plugin directory has one.
package scripts

import "embed"

// FS holds the scripts (*.lua) and the plugins (plugins/*.lua).
//
//go:embed *.lua plugins/*.lua
var FS embed.FS
