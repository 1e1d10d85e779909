//go:build !linux && !darwin && !freebsd

package procmem

// machineMemory is 0 (unknown) where no way to ask is wired in: the
// default budget then assumes 8 GiB.
func machineMemory() int64 { return 0 }
