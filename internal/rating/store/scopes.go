package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// Scope is the processing state of one scope (a project).
type Scope struct {
	bun.BaseModel `bun:"table:rating_scopes,alias:sc"`

	// ScopeID is the project id.
	ScopeID string `bun:"scope_id,pk"`
	// ScopeKey is the attribute scopes are keyed on (always project_id).
	ScopeKey string `bun:"scope_key"`
	// Fetcher found the scope ("inventory").
	Fetcher string `bun:"fetcher"`
	// Collector collects its usage by default ("inventory").
	Collector string `bun:"collector"`
	// Active scopes are processed; inactive ones are skipped.
	Active bool `bun:"active"`
	// LastProcessed is the beginning of the last rated period; nil when
	// nothing was rated yet.
	LastProcessed *time.Time `bun:"last_processed"`
	// LastError is the last error that stopped the scope's processing.
	LastError string    `bun:"last_error"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// Failure is a metric of a scope whose collection failed: its periods from
// RetryFrom up to the scope's last processed period are still to be rated.
type Failure struct {
	bun.BaseModel `bun:"table:rating_scope_failures,alias:sf"`

	ScopeID string `bun:"scope_id,pk" json:"-"`
	// Metric is the failing metric.
	Metric string `bun:"metric,pk" json:"metric"`
	// RetryFrom is the beginning of the first period not rated for it.
	RetryFrom time.Time `bun:"retry_from" json:"retry_from"`
	// Attempts counts the failed attempts since it first failed.
	Attempts int `bun:"attempts" json:"attempts"`
	// Error is the last failure's message.
	Error string `bun:"error" json:"error"`
	// FirstFailedAt is when it first failed.
	FirstFailedAt time.Time `bun:"first_failed_at" json:"first_failed_at"`
	// FailedAt is when it last failed.
	FailedAt time.Time `bun:"failed_at" json:"failed_at"`
}

const scopeInsertChunk = 400

// EnsureScopes adds the scopes not known yet (active, nothing processed)
// and returns how many were added.
func (s *Store) EnsureScopes(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	now := s.now()
	added := 0
	for chunk := range slices.Chunk(ids, scopeInsertChunk) {
		rows := make([]Scope, 0, len(chunk))
		for _, id := range chunk {
			rows = append(rows, Scope{ScopeID: id, ScopeKey: "project_id", Fetcher: "inventory", Collector: "inventory",
				Active: true, CreatedAt: now, UpdatedAt: now})
		}
		res, err := s.db.NewInsert().Model(&rows).On("CONFLICT (scope_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return added, fmt.Errorf("add rating scopes: %w", err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// ScopeFilter selects scopes; zero fields do not filter.
type ScopeFilter struct {
	IDs        []string
	Collectors []string
	Fetchers   []string
	ScopeKeys  []string
	Active     *bool
	Offset     int
	Limit      int
}

// Scopes returns the scopes f selects, by id, and how many there are
// before paging.
func (s *Store) Scopes(ctx context.Context, f ScopeFilter) ([]Scope, int, error) {
	out := []Scope{}
	q := s.db.NewSelect().Model(&out).Order("scope_id")
	if len(f.IDs) > 0 {
		q = q.Where("scope_id IN (?)", bun.List(f.IDs))
	}
	if len(f.Collectors) > 0 {
		q = q.Where("collector IN (?)", bun.List(f.Collectors))
	}
	if len(f.Fetchers) > 0 {
		q = q.Where("fetcher IN (?)", bun.List(f.Fetchers))
	}
	if len(f.ScopeKeys) > 0 {
		q = q.Where("scope_key IN (?)", bun.List(f.ScopeKeys))
	}
	if f.Active != nil {
		q = q.Where("active = ?", *f.Active)
	}
	if f.Limit > 0 {
		q = q.Limit(int64(f.Limit))
	}
	if f.Offset > 0 {
		q = q.Offset(int64(f.Offset))
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("rating scopes: %w", err)
	}
	return out, int(n), nil
}

// Scope returns one scope.
func (s *Store) Scope(ctx context.Context, id string) (Scope, error) {
	var sc Scope
	err := s.db.NewSelect().Model(&sc).Where("scope_id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return sc, errs.E(errs.NotFound, "No resource found for provided filters.")
	}
	return sc, err
}

// Leases are leases over the store's database held as owner, for a
// processor that runs without a task service (a command or a test); they
// follow the task engine's rule and share its table.

// Failures returns the failing metrics of the given scopes (nil: all), by scope.
func (s *Store) Failures(ctx context.Context, db bun.IDB, scopeIDs []string) (map[string][]Failure, error) {
	if db == nil {
		db = s.db
	}
	var rows []Failure
	q := db.NewSelect().Model(&rows).Order("scope_id", "metric")
	if scopeIDs != nil {
		if len(scopeIDs) == 0 {
			return map[string][]Failure{}, nil
		}
		q = q.Where("scope_id IN (?)", bun.List(scopeIDs))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("rating scope failures: %w", err)
	}
	out := map[string][]Failure{}
	for _, f := range rows {
		out[f.ScopeID] = append(out[f.ScopeID], f)
	}
	return out, nil
}

// Progress is what one processing run of a scope changes in its state.
type Progress struct {
	ScopeID string
	// LastProcessed is the new last processed period; nil leaves it.
	LastProcessed *time.Time
	// Failed are the metrics failing after the run (inserted or replaced).
	Failed []Failure
	// Cleared are the metrics that caught up and no longer fail.
	Cleared []string
	// LastError is the scope-level error of the run ("" when it succeeded).
	LastError string
}

// SaveProgress writes a run's progress through db (a transaction shared
// with the run's cost records; nil: the store's database).
func (s *Store) SaveProgress(ctx context.Context, db bun.IDB, p Progress) error {
	if db == nil {
		db = s.db
	}
	now := s.now()
	q := db.NewUpdate().Model((*Scope)(nil)).Set("last_error = ?", p.LastError).Set("updated_at = ?", now).
		Where("scope_id = ?", p.ScopeID)
	if p.LastProcessed != nil {
		q = q.Set("last_processed = ?", p.LastProcessed.UTC())
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("save rating scope %s: %w", p.ScopeID, err)
	}
	if len(p.Cleared) > 0 {
		if _, err := db.NewDelete().Model((*Failure)(nil)).Where("scope_id = ?", p.ScopeID).
			Where("metric IN (?)", bun.List(p.Cleared)).Exec(ctx); err != nil {
			return fmt.Errorf("save rating scope %s: %w", p.ScopeID, err)
		}
	}
	for i := range p.Failed {
		f := p.Failed[i]
		f.ScopeID = p.ScopeID
		f.RetryFrom = f.RetryFrom.UTC()
		if _, err := db.NewInsert().Model(&f).On("CONFLICT (scope_id, metric) DO UPDATE").
			Set("retry_from = EXCLUDED.retry_from").Set("attempts = EXCLUDED.attempts").Set("error = EXCLUDED.error").
			Set("failed_at = EXCLUDED.failed_at").Exec(ctx); err != nil {
			return fmt.Errorf("save rating scope %s: %w", p.ScopeID, err)
		}
	}
	return nil
}

// SetActive activates or deactivates a scope.
func (s *Store) SetActive(ctx context.Context, id string, active bool) (Scope, error) {
	res, err := s.db.NewUpdate().Model((*Scope)(nil)).Set("active = ?", active).Set("updated_at = ?", s.now()).
		Where("scope_id = ?", id).Exec(ctx)
	if err != nil {
		return Scope{}, fmt.Errorf("update rating scope %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Scope{}, errs.E(errs.NotFound, "No resource found for provided filters.")
	}
	return s.Scope(ctx, id)
}

// ResetScope sets a scope's last processed period through db and forgets
// the failures of the periods from `from` on (they will be rated again).
func (s *Store) ResetScope(ctx context.Context, db bun.IDB, id string, last *time.Time, from time.Time) error {
	q := db.NewUpdate().Model((*Scope)(nil)).Set("updated_at = ?", s.now()).Set("last_error = ''").Where("scope_id = ?", id)
	if last == nil {
		q = q.Set("last_processed = NULL")
	} else {
		q = q.Set("last_processed = ?", last.UTC())
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("reset rating scope %s: %w", id, err)
	}
	if _, err := db.NewDelete().Model((*Failure)(nil)).Where("scope_id = ?", id).Where("retry_from >= ?", from.UTC()).Exec(ctx); err != nil {
		return fmt.Errorf("reset rating scope %s: %w", id, err)
	}
	return nil
}
