// Package ids makes the random identifiers Skyfold gives its records.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// New returns a random (version 4) UUID in its canonical text form.
func New() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Hex returns 128 random bits as 32 hex digits, the form Keystone uses for
// its ids.
func Hex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
