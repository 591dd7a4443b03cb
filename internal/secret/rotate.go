package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/uptrace/bun"
)

// Rotation names the master key to leave and the one to rotate to.
type Rotation struct {
	// EnvKeys is SKYFOLD_MASTER_KEY as configured; when set, the key file is
	// not used and NewKey is required, because only the operator can change
	// the variable afterwards.
	EnvKeys string
	// KeyFile is the key file used when EnvKeys is empty.
	KeyFile string
	// NewKey is the base64 key to rotate to; empty generates one (key file
	// only).
	NewKey string
}

// RotationResult says what Rotate did.
type RotationResult struct {
	Reencrypted int
	OldKeyID    string
	NewKeyID    string
}

// ErrNewKeyRequired is returned when the key comes from the environment and
// no new key was given.
var ErrNewKeyRequired = errors.New("the master key comes from SKYFOLD_MASTER_KEY, so the new key must be given")

// Rotate re-encrypts every registered secret column of db under a new master
// key. With a key file it is crash-safe: the file first holds the new key
// beside the old ones, so that a rotation interrupted half way still decrypts
// everything, and only once the database is committed the new key alone.
func Rotate(ctx context.Context, db *bun.DB, r Rotation) (RotationResult, error) {
	var res RotationResult
	if r.EnvKeys != "" && r.NewKey == "" {
		return res, ErrNewKeyRequired
	}
	old, _, err := Load(r.EnvKeys, r.KeyFile)
	if err != nil {
		return res, err
	}
	res.OldKeyID = old.PrimaryID()
	oldKeys, err := keyring(r.EnvKeys, r.KeyFile)
	if err != nil {
		return res, err
	}
	newKey := r.NewKey
	if newKey == "" {
		newKey = GenerateKey()
	}
	ring := append([]string{newKey}, oldKeys...)
	box, err := NewBox(ring...)
	if err != nil {
		return res, fmt.Errorf("new key: %w", err)
	}
	res.NewKeyID = box.PrimaryID()
	if r.EnvKeys == "" {
		if err := WriteKeyFile(r.KeyFile, ring...); err != nil {
			return res, err
		}
	}
	res.Reencrypted, err = Reencrypt(ctx, db, box)
	if err != nil {
		return res, fmt.Errorf("re-encrypt: %w (the key file still holds the old key, nothing was lost)", err)
	}
	if r.EnvKeys == "" {
		if err := WriteKeyFile(r.KeyFile, newKey); err != nil {
			return res, err
		}
	}
	return res, nil
}

// keyring is the current keys as base64 strings, primary first.
func keyring(envKeys, keyFile string) ([]string, error) {
	if envKeys != "" {
		var keys []string
		for _, k := range strings.Split(envKeys, ",") {
			if k = strings.TrimSpace(k); k != "" {
				keys = append(keys, k)
			}
		}
		return keys, nil
	}
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read master key file %s: %w", keyFile, err)
	}
	return keysOf(raw), nil
}
