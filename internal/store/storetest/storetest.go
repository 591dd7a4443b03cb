// Package storetest hands tests a fresh, migrated database on every store this
// machine offers: SQLite always, and PostgreSQL when SKYFOLD_TEST_POSTGRES_DSN
// names a server the tests may create databases on.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skyfold/skyfold/internal/store"
)

// PostgresEnv names the variable holding the admin DSN of a test PostgreSQL.
const PostgresEnv = "SKYFOLD_TEST_POSTGRES_DSN"

var announce sync.Once

// Kinds lists the stores tests run on here, SQLite first.
func Kinds() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

func announceOnce(t testing.TB) {
	announce.Do(func() {
		if os.Getenv(PostgresEnv) == "" {
			fmt.Fprintf(os.Stderr, "storetest: stores under test: sqlite (set %s to add postgres)\n", PostgresEnv)
		} else {
			fmt.Fprintln(os.Stderr, "storetest: stores under test: sqlite, postgres")
		}
	})
}

// Each runs fn as a subtest named after each store, with a fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	announceOnce(t)
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh, migrated store of the given kind, closed (and on
// PostgreSQL dropped) when the test ends.
func Open(t testing.TB, kind string) *store.Store {
	t.Helper()
	dsn := NewDSN(t, kind)
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s store: %v", kind, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", kind, err)
	}
	return st
}

// NewDSN creates an empty database of the given kind and returns its DSN, for
// tests that start a server process themselves.
func NewDSN(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		return "sqlite://" + filepath.Join(t.TempDir(), "skyfold.db")
	case "postgres":
		admin := os.Getenv(PostgresEnv)
		if admin == "" {
			t.Skipf("postgres: %s is not set", PostgresEnv)
		}
		name := "skyfold_test_" + randomHex(6)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatalf("postgres admin connection: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatalf("create database %s: %v", name, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, admin)
			if err != nil {
				return
			}
			defer c.Close(ctx)
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		})
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatalf("parse %s: %v", PostgresEnv, err)
		}
		u.Path = "/" + name
		return u.String()
	default:
		t.Fatalf("unknown store kind %q", kind)
		return ""
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
