//go:build race

package thirdparty

const raceEnabled = true
