// Package store keeps the rating domain's configuration and processing state
// in Skyfold's database: module settings (enabled, priority), the hashmap
// module's services, fields, groups, mappings and thresholds, the script
// module's scripts, collector mappings and states, and the per-scope
// processing state of the rating processor (last processed period, lease,
// failed metrics waiting for a retry).
//
// Every configuration write is validated (hashmap objects with package
// hashmap's checks), stored, and counted in a
// revision row in the same transaction; processes compare the revision to
// decide whether to recompile their rules, so rules are reloaded on change,
// never on every cycle. Importers usually name the package ratingstore.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skyfold/skyfold/internal/errs"
)

// Config tunes a Store.
type Config struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives the errors of change listeners.
	Logger *slog.Logger
}

// Store reads and writes the rating tables.
type Store struct {
	db  *bun.DB
	cfg Config

	listeners []func(ctx context.Context)
}

// New returns a store on db.
func New(db *bun.DB, cfg Config) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Store{db: db, cfg: cfg}
}

// RunInTx runs fn in a transaction on the store's database, for callers
// that join their writes (cost records) to the store's (scope progress).
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.db.RunInTx(ctx, nil, fn)
}

// SerialWrites reports whether write transactions must take turns in the
// process: SQLite has one writer, and concurrent ones fail with "busy"
// rather than wait their turn inside a transaction.
func (s *Store) SerialWrites() bool { return s.db.Dialect().Name() == dialect.SQLite }

// OnChange registers fn to run after every committed configuration change
// made through this store (other processes see the change through
// Revision). Register listeners before serving requests.
func (s *Store) OnChange(fn func(ctx context.Context)) { s.listeners = append(s.listeners, fn) }

func (s *Store) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

type revisionRow struct {
	bun.BaseModel `bun:"table:rating_revision"`

	ID        int       `bun:"id,pk"`
	Revision  int64     `bun:"revision"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// Revision returns the configuration revision: it grows with every change.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var r revisionRow
	err := s.db.NewSelect().Model(&r).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("rating revision: %w", err)
	}
	return r.Revision, nil
}

// change runs fn in a transaction that first bumps the revision (which also
// serialises configuration writers on PostgreSQL), then notifies listeners.
func (s *Store) change(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		res, err := tx.NewUpdate().Model((*revisionRow)(nil)).Set("revision = revision + 1").Set("updated_at = ?", now).
			Where("id = 1").Exec(ctx)
		if err != nil {
			return fmt.Errorf("bump rating revision: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.NewInsert().Model(&revisionRow{ID: 1, Revision: 1, UpdatedAt: now}).Exec(ctx); err != nil {
				return fmt.Errorf("bump rating revision: %w", err)
			}
		}
		return fn(ctx, tx)
	})
	if err != nil {
		return err
	}
	for _, l := range s.listeners {
		l(ctx)
	}
	return nil
}

// ModuleSetting is the persisted state of a rating module.
type ModuleSetting struct {
	bun.BaseModel `bun:"table:rating_modules"`

	// Name is the module id.
	Name string `bun:"name,pk"`
	// Enabled tells whether the pipeline runs it.
	Enabled bool `bun:"enabled"`
	// Priority orders modules, highest first.
	Priority  int       `bun:"priority"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// ModuleSettings returns the stored module settings by name; a module never
// configured is absent.
func (s *Store) ModuleSettings(ctx context.Context) (map[string]ModuleSetting, error) {
	var rows []ModuleSetting
	if err := s.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("rating modules: %w", err)
	}
	out := make(map[string]ModuleSetting, len(rows))
	for _, r := range rows {
		out[r.Name] = r
	}
	return out, nil
}

// SetModule stores a module's enabled flag and priority (nil keeps the
// current value, or the one in defaults when the module was never set).
func (s *Store) SetModule(ctx context.Context, defaults ModuleSetting, enabled *bool, priority *int) (ModuleSetting, error) {
	out := defaults
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur ModuleSetting
		err := tx.NewSelect().Model(&cur).Where("name = ?", defaults.Name).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			cur = defaults
		case err != nil:
			return err
		}
		if enabled != nil {
			cur.Enabled = *enabled
		}
		if priority != nil {
			cur.Priority = *priority
		}
		cur.UpdatedAt = s.now()
		out = cur
		_, err = tx.NewInsert().Model(&cur).On("CONFLICT (name) DO UPDATE").
			Set("enabled = EXCLUDED.enabled").Set("priority = EXCLUDED.priority").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
	if err != nil {
		return ModuleSetting{}, fmt.Errorf("set rating module %s: %w", defaults.Name, err)
	}
	return out, nil
}

// CollectorMapping routes a service (metric) to a collector.
type CollectorMapping struct {
	bun.BaseModel `bun:"table:rating_collector_mappings"`

	Service   string    `bun:"service,pk" json:"service"`
	Collector string    `bun:"collector" json:"collector"`
	CreatedAt time.Time `bun:"created_at" json:"-"`
}

// CollectorMappings lists the mappings, of one collector when collector is set.
func (s *Store) CollectorMappings(ctx context.Context, collector string) ([]CollectorMapping, error) {
	out := []CollectorMapping{}
	q := s.db.NewSelect().Model(&out).Order("service")
	if collector != "" {
		q = q.Where("collector = ?", collector)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("collector mappings: %w", err)
	}
	return out, nil
}

// CollectorMapping returns the mapping of a service.
func (s *Store) CollectorMapping(ctx context.Context, service string) (CollectorMapping, error) {
	var m CollectorMapping
	err := s.db.NewSelect().Model(&m).Where("service = ?", service).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return m, errs.E(errs.NotFound, "No mapping for service: %s", service)
	}
	return m, err
}

// CreateCollectorMapping maps service to collector; a service has one mapping.
func (s *Store) CreateCollectorMapping(ctx context.Context, service, collector string) (CollectorMapping, error) {
	if service == "" {
		return CollectorMapping{}, required("service")
	}
	if collector == "" {
		return CollectorMapping{}, required("collector")
	}
	m := CollectorMapping{Service: service, Collector: collector, CreatedAt: s.now()}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*CollectorMapping)(nil)).Where("service = ?", service).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return errs.E(errs.Conflict, "Service %s already mapped", service)
		}
		_, err = tx.NewInsert().Model(&m).Exec(ctx)
		return err
	})
	return m, err
}

// DeleteCollectorMapping removes the mapping of a service.
func (s *Store) DeleteCollectorMapping(ctx context.Context, service string) error {
	return s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*CollectorMapping)(nil)).Where("service = ?", service).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "No mapping for service: %s", service)
		}
		return nil
	})
}

// CollectorState is whether a collector runs.
type CollectorState struct {
	bun.BaseModel `bun:"table:rating_collector_states"`

	Name      string    `bun:"name,pk" json:"name"`
	Enabled   bool      `bun:"enabled" json:"enabled"`
	UpdatedAt time.Time `bun:"updated_at" json:"-"`
}

// CollectorStates returns the stored states by collector name; a collector
// never set is absent (and enabled).
func (s *Store) CollectorStates(ctx context.Context) (map[string]bool, error) {
	var rows []CollectorState
	if err := s.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("collector states: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Name] = r.Enabled
	}
	return out, nil
}

// SetCollectorState enables or disables a collector.
func (s *Store) SetCollectorState(ctx context.Context, name string, enabled bool) error {
	if name == "" {
		return required("name")
	}
	st := CollectorState{Name: name, Enabled: enabled, UpdatedAt: s.now()}
	return s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&st).On("CONFLICT (name) DO UPDATE").
			Set("enabled = EXCLUDED.enabled").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
}

// required is the error of a missing mandatory field; faces word it their
// own way.
func required(field string) error { return errs.Field(field, RequiredReason) }

// RequiredReason is the field reason of every missing mandatory field the
// store refuses.
const RequiredReason = "is required"

// invalidInput is a 400 for field whose message is msg as is (a script's
// compile error, which names its line).
func invalidInput(field, msg string) error {
	return &errs.Error{Code: errs.Invalid, Message: msg, Fields: []errs.FieldError{{Field: field, Reason: msg}}}
}
