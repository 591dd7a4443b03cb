// Package store opens Skyfold's database — embedded SQLite by default, PostgreSQL
// in production — applies the embedded per-dialect migrations, and hands domain
// services a *bun.DB that speaks either dialect.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/skyfold/skyfold/internal/config"
)

//go:embed migrations
var migrations embed.FS

// Store is an open database.
type Store struct {
	// DB is the query builder every domain service uses.
	DB *bun.DB
	// Kind is config.SQLite or config.Postgres.
	Kind string
	// SQL is the pool behind DB.
	SQL *sql.DB
	// PGPool is the pgx pool behind SQL on PostgreSQL (nil on SQLite); the job
	// queue uses it directly.
	PGPool *pgxpool.Pool
	// Bulk is for large batched writes, the inventory sync's: on SQLite one
	// connection of its own, whose page cache stays warm from one batch to
	// the next (in WAL mode a connection drops its cache whenever another
	// one has written, and pool connections take turns); on PostgreSQL the
	// same pool as DB.
	Bulk *bun.DB
	// Path is the database file on SQLite.
	Path string
	dsn  string
}

// Open connects to the database a DSN names (see config.ParseDSN). It does not
// migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	kind, target, err := config.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{Kind: kind, dsn: dsn}
	switch kind {
	case config.SQLite:
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		s.Path = target
		db, err := sql.Open("sqlite", SQLiteDSN(target))
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", target, err)
		}
		// SQLite serialises writers; a handful of connections lets WAL readers
		// proceed while one writes, and the busy timeout queues the writers.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		db.SetConnMaxIdleTime(0)
		s.SQL = db
		s.DB = bun.NewDB(db, sqlitedialect.New())
		bulk, err := sql.Open("sqlite", SQLiteDSN(target))
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", target, err)
		}
		bulk.SetMaxOpenConns(1)
		bulk.SetMaxIdleConns(1)
		bulk.SetConnMaxIdleTime(0)
		s.Bulk = bun.NewDB(bulk, sqlitedialect.New())
	case config.Postgres:
		pcfg, err := pgxpool.ParseConfig(target)
		if err != nil {
			return nil, fmt.Errorf("postgres DSN: %s", oneLine(err))
		}
		if pcfg.MaxConns < 10 {
			pcfg.MaxConns = 10
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return nil, fmt.Errorf("connect postgres %s: %s", config.MaskDSN(dsn), oneLine(err))
		}
		s.PGPool = pool
		s.SQL = stdlib.OpenDBFromPool(pool)
		s.DB = bun.NewDB(s.SQL, pgdialect.New())
		s.Bulk = s.DB
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.SQL.PingContext(pingCtx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("database %s unreachable: %s", config.MaskDSN(dsn), oneLine(err))
	}
	return s, nil
}

// SQLiteDSN is the modernc DSN for a file with Skyfold's pragmas: WAL, a busy
// timeout so writers queue instead of failing, foreign keys on, and a page
// cache and memory map sized for inventories of 100,000s of rows.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Reads go through a memory map: without it every B-tree step of a
	// list or a sync over 100,000s of rows is a pread system call. The page
	// cache then mostly holds the pages a transaction writes. It is kept
	// moderate (16 MiB, the default is 2 MiB) because a connection empties
	// its cache whenever another connection has written, which on a busy
	// server is before nearly every transaction: a 64 MiB cache made a
	// 100,000-instance sync spend a quarter of its time emptying and
	// refilling it. Both are ceilings, not allocations.
	q.Add("_pragma", "cache_size(-16384)")
	q.Add("_pragma", "mmap_size(1073741824)")
	// Checkpoint every ~40 MB of WAL rather than 4 MB: a page rewritten by
	// many transactions is copied back once, and fsync runs a tenth as often.
	q.Add("_pragma", "wal_autocheckpoint(10000)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func oneLine(err error) string {
	s := err.Error()
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '\n' || r == '\r' {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}

// Close releases the pool.
func (s *Store) Close() error {
	var err error
	if s.Bulk != nil && s.Bulk != s.DB {
		err = s.Bulk.Close()
	}
	if s.DB != nil {
		err = errors.Join(err, s.DB.Close())
	} else if s.SQL != nil {
		err = errors.Join(err, s.SQL.Close())
	}
	if s.PGPool != nil {
		s.PGPool.Close()
	}
	return err
}

// DSN is the DSN the store was opened with.
func (s *Store) DSN() string { return s.dsn }

func (s *Store) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+s.Kind)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.Kind == config.Postgres {
		dialect = goose.DialectPostgres
		// Several servers may start at once against one PostgreSQL: the
		// session lock lets exactly one of them migrate.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, s.SQL, sub, opts...)
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// MigrateTo applies the pending migrations up to and including version,
// for tests of a migration on the data an older schema held.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Source    string
	Applied   bool
	AppliedAt time.Time
}

// MigrationStatus lists the embedded migrations and their state.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationStatus{
			Version: m.Source.Version, Source: filepath.Base(m.Source.Path),
			Applied: m.State == goose.StateApplied, AppliedAt: m.AppliedAt,
		})
	}
	return out, nil
}

// Pending reports how many migrations are not applied; /readyz uses it.
func (s *Store) Pending(ctx context.Context) (int, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	has, err := p.HasPending(ctx)
	if err != nil {
		return 0, err
	}
	if !has {
		return 0, nil
	}
	st, err := p.Status(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range st {
		if m.State != goose.StateApplied {
			n++
		}
	}
	return n, nil
}

// InTx runs fn in a transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.DB.RunInTx(ctx, nil, fn)
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either store, so services can turn it into a Conflict.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) {
		return pgErr.SQLState() == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed")
}
