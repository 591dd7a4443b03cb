// Package buildinfo holds the version stamped into the binary at build time.
package buildinfo

// Set with -ldflags "-X github.com/skyfold/skyfold/internal/buildinfo.Version=...".
var (
	Version = "dev"
	Commit  = "unknown"
)
