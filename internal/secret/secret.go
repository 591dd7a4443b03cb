// Package secret encrypts secret fields at rest with AES-256-GCM under a master
// key that never lives in the database: from SKYFOLD_MASTER_KEY, or from a key
// file created with mode 0600 in the data directory on first start. A keyring
// keeps earlier keys for decryption so a key rotation can be interrupted safely.
package secret

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

const prefix = "enc:v1:"

// ErrDecrypt is returned when no key of the keyring opens a ciphertext.
var ErrDecrypt = errors.New("secret: cannot decrypt (wrong master key?)")

// Key is one master key.
type Key struct {
	ID   string // first 8 hex digits of SHA-256 of the key: names it without revealing it
	aead cipher.AEAD
}

func newKey(raw []byte) (Key, error) {
	if len(raw) != KeySize {
		return Key{}, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, err
	}
	sum := sha256.Sum256(raw)
	return Key{ID: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// Box encrypts with its primary key and decrypts with any key of its ring.
type Box struct {
	primary Key
	ring    map[string]Key
}

// NewBox builds a box from base64 keys, primary first.
func NewBox(keys ...string) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("no master key")
	}
	b := &Box{ring: map[string]Key{}}
	for i, s := range keys {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("master key %d is not base64", i+1)
		}
		k, err := newKey(raw)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			b.primary = k
		}
		b.ring[k.ID] = k
	}
	return b, nil
}

// GenerateKey returns a new random key, base64-encoded.
func GenerateKey() string {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// PrimaryID names the key new ciphertexts use.
func (b *Box) PrimaryID() string { return b.primary.ID }

// Encrypt seals plaintext; the empty string stays empty.
func (b *Box) Encrypt(plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, b.primary.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := b.primary.aead.Seal(nonce, nonce, []byte(plaintext), []byte(b.primary.ID))
	return prefix + b.primary.ID + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a ciphertext made by Encrypt with any key of the ring.
func (b *Box) Decrypt(ciphertext string) (string, error) {
	if ciphertext == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(ciphertext, prefix)
	if !ok {
		return "", fmt.Errorf("secret: not a Skyfold ciphertext")
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok {
		return "", fmt.Errorf("secret: malformed ciphertext")
	}
	k, ok := b.ring[id]
	if !ok {
		return "", fmt.Errorf("%w: key %s is not in the keyring", ErrDecrypt, id)
	}
	sealed, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(sealed) < k.aead.NonceSize() {
		return "", fmt.Errorf("secret: malformed ciphertext")
	}
	nonce, ct := sealed[:k.aead.NonceSize()], sealed[k.aead.NonceSize():]
	pt, err := k.aead.Open(nil, nonce, ct, []byte(id))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(pt), nil
}

// KeyID returns the id of the key that sealed a ciphertext, or "".
func KeyID(ciphertext string) string {
	rest, ok := strings.CutPrefix(ciphertext, prefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// Source tells where the master key came from, for the start-up log line.
type Source struct {
	FromEnv bool
	File    string
	Created bool
}

// Load builds the box from envKeys (SKYFOLD_MASTER_KEY: one key, or several
// comma-separated, primary first) or else from the key file, creating the file
// with a new key and mode 0600 when it does not exist.
func Load(envKeys, keyFile string) (*Box, Source, error) {
	if envKeys != "" {
		b, err := NewBox(strings.Split(envKeys, ",")...)
		return b, Source{FromEnv: true}, err
	}
	raw, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		if err := WriteKeyFile(keyFile, GenerateKey()); err != nil {
			return nil, Source{}, err
		}
		raw, err = os.ReadFile(keyFile)
		if err != nil {
			return nil, Source{}, err
		}
		b, err := NewBox(keysOf(raw)...)
		return b, Source{File: keyFile, Created: true}, err
	}
	if err != nil {
		return nil, Source{}, fmt.Errorf("read master key file %s: %w", keyFile, err)
	}
	if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, Source{}, fmt.Errorf("master key file %s is readable by others (mode %o); chmod 600 it", keyFile, fi.Mode().Perm())
	}
	b, err := NewBox(keysOf(raw)...)
	if err != nil {
		return nil, Source{}, fmt.Errorf("master key file %s: %w", keyFile, err)
	}
	return b, Source{File: keyFile}, nil
}

func keysOf(raw []byte) []string {
	var keys []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			keys = append(keys, line)
		}
	}
	return keys
}

// WriteKeyFile atomically writes keys (primary first), one a line, mode 0600.
func WriteKeyFile(path string, keys ...string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	body := "# Skyfold master key: the first line encrypts, the others only decrypt.\n" + strings.Join(keys, "\n") + "\n"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Column names one encrypted column; domain packages register theirs so that
// key rotation finds every ciphertext.
type Column struct {
	Table string
	Key   string // primary key column
	Name  string // encrypted column
}

var (
	colMu   sync.Mutex
	columns []Column
)

// RegisterColumn declares an encrypted column.
func RegisterColumn(c Column) {
	colMu.Lock()
	defer colMu.Unlock()
	for _, x := range columns {
		if x == c {
			return
		}
	}
	columns = append(columns, c)
}

// Columns lists the registered encrypted columns.
func Columns() []Column {
	colMu.Lock()
	defer colMu.Unlock()
	return append([]Column(nil), columns...)
}

// Reencrypt rewrites every registered ciphertext under the box's primary key in
// one transaction, and returns how many values changed.
func Reencrypt(ctx context.Context, db *bun.DB, box *Box) (int, error) {
	n := 0
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, c := range Columns() {
			var rows []struct {
				K string `bun:"k"`
				V string `bun:"v"`
			}
			err := tx.NewSelect().TableExpr("?", bun.Ident(c.Table)).
				ColumnExpr("? AS k, ? AS v", bun.Ident(c.Key), bun.Ident(c.Name)).
				Where("? LIKE 'enc:v1:%'", bun.Ident(c.Name)).Scan(ctx, &rows)
			if err != nil {
				return fmt.Errorf("read %s.%s: %w", c.Table, c.Name, err)
			}
			for _, r := range rows {
				if KeyID(r.V) == box.PrimaryID() {
					continue
				}
				pt, err := box.Decrypt(r.V)
				if err != nil {
					return fmt.Errorf("%s.%s row %s: %w", c.Table, c.Name, r.K, err)
				}
				ct, err := box.Encrypt(pt)
				if err != nil {
					return err
				}
				if _, err := tx.NewUpdate().TableExpr("?", bun.Ident(c.Table)).
					Set("? = ?", bun.Ident(c.Name), ct).
					Where("? = ?", bun.Ident(c.Key), r.K).Exec(ctx); err != nil {
					return fmt.Errorf("update %s.%s row %s: %w", c.Table, c.Name, r.K, err)
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
