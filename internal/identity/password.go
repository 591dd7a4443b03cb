package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// KDFParams are Argon2id parameters. The defaults follow OWASP's
// recommendation (19 MiB, 2 passes, 1 lane): about 50 ms per hash on one core
// of a current server, which bounds password logins to about 20/s per core.
type KDFParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultKDF is the production cost.
var DefaultKDF = KDFParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// TestKDF is a cheap cost for tests; never use it in production.
var TestKDF = KDFParams{MemoryKiB: 64, Time: 1, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MaxPasswordLength bounds what the KDF is asked to hash.
	MaxPasswordLength = 4096
)

// hasher hashes and verifies passwords in the PHC string format
// $argon2id$v=19$m=…,t=…,p=…$salt$hash. At most GOMAXPROCS hashes run at
// once, so a burst of logins cannot take more than that many times the
// memory cost.
type hasher struct {
	params KDFParams
	sem    chan struct{}
	dummy  string // a hash to verify against when the user does not exist
}

func newHasher(p KDFParams) *hasher {
	h := &hasher{params: p, sem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
	d, err := h.hashWith(context.Background(), "not a password: equalises timing", p)
	if err != nil {
		panic(err)
	}
	h.dummy = d
	return h
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.sem }

// Hash derives a new PHC string for password.
func (h *hasher) Hash(ctx context.Context, password string) (string, error) {
	return h.hashWith(ctx, password, h.params)
}

func (h *hasher) hashWith(ctx context.Context, password string, p KDFParams) (string, error) {
	if len(password) > MaxPasswordLength {
		return "", errors.New("password too long")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	h.release()
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

type phc struct {
	params KDFParams
	salt   []byte
	key    []byte
}

// parsePHC reads an argon2id PHC string.
func parsePHC(s string) (phc, error) {
	var out phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return out, errors.New("not an argon2id hash")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return out, errors.New("bad argon2id parameters")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return out, errors.New("bad argon2id parameters")
		}
		switch k {
		case "m":
			out.params.MemoryKiB = uint32(n)
		case "t":
			out.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return out, errors.New("bad argon2id parameters")
			}
			out.params.Threads = uint8(n)
		default:
			return out, errors.New("bad argon2id parameters")
		}
	}
	p := out.params
	if p.MemoryKiB < 8 || p.MemoryKiB > 1<<21 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return out, errors.New("argon2id parameters out of range")
	}
	var err error
	if out.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(out.salt) < 8 {
		return out, errors.New("bad argon2id salt")
	}
	if out.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(out.key) < 16 || len(out.key) > 64 {
		return out, errors.New("bad argon2id hash")
	}
	return out, nil
}

// Verify reports whether password matches the PHC string, comparing in
// constant time, and whether the hash should be upgraded to the current
// parameters. An empty or unreadable hash never matches, but costs the same
// time as one that does.
func (h *hasher) Verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	p, perr := parsePHC(encoded)
	if perr != nil || len(password) > MaxPasswordLength {
		p, _ = parsePHC(h.dummy)
		password = ""
		encoded = ""
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	key := argon2.IDKey([]byte(password), p.salt, p.params.Time, p.params.MemoryKiB, p.params.Threads, uint32(len(p.key)))
	h.release()
	match := subtle.ConstantTimeCompare(key, p.key) == 1
	if encoded == "" {
		return false, false, nil
	}
	return match, match && p.params != h.params, nil
}

// burn spends one verification's time, for unknown users.
func (h *hasher) burn(ctx context.Context) {
	_, _, _ = h.Verify(ctx, h.dummy, "x")
}
