package processor

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/errs"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
)

// ScopeState is a scope's processing state with its failing metrics.
type ScopeState struct {
	ratingstore.Scope
	// Failures are the metrics waiting to be rated again.
	Failures []ratingstore.Failure
}

// ScopeStates lists scope states, as GET /v2/scope does, and the total
// before paging.
func (s *Service) ScopeStates(ctx context.Context, f ratingstore.ScopeFilter) ([]ScopeState, int, error) {
	scopes, total, err := s.store.Scopes(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(scopes))
	for i := range scopes {
		ids[i] = scopes[i].ScopeID
	}
	fails, err := s.store.Failures(ctx, nil, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ScopeState, len(scopes))
	for i := range scopes {
		out[i] = ScopeState{Scope: scopes[i], Failures: fails[scopes[i].ScopeID]}
		if out[i].Failures == nil {
			out[i].Failures = []ratingstore.Failure{}
		}
	}
	return out, total, nil
}

// alignPeriod rounds t down to the start of the period holding it, periods
// being laid from the start of t's month.
func (s *Service) alignPeriod(t time.Time) time.Time {
	ms := cost.MonthStart(t)
	n := t.UTC().Sub(ms) / s.cfg.Period
	return ms.Add(n * s.cfg.Period)
}

// ResetScope makes a scope rate again from the period holding at: the rated
// records from then on are removed (a record running across it is cut) and
// the next cycle starts from that period. It fails with errs.Conflict while
// the scope is being processed.
//
// CloudKitty sets the state to the timestamp itself, so its next period
// starts one period later; Skyfold rates the period that starts at it.
func (s *Service) ResetScope(ctx context.Context, scopeID string, at time.Time) error {
	if _, err := s.store.Scope(ctx, scopeID); err != nil {
		return err
	}
	ctx, done, err := s.holdScope(ctx, scopeID)
	if errs.CodeOf(err) == errs.Conflict {
		return errs.E(errs.Conflict, "scope %s is being processed; try again later", scopeID)
	}
	if err != nil {
		return err
	}
	defer done()
	from := s.alignPeriod(at)
	last := from.Add(-s.cfg.Period)
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.costs.Truncate(ctx, tx, Source, scopeID, from); err != nil {
			return err
		}
		return s.store.ResetScope(ctx, tx, scopeID, &last, from)
	})
}

// SetScopeActive activates or deactivates a scope; an inactive scope is
// not processed.
func (s *Service) SetScopeActive(ctx context.Context, scopeID string, active bool) (ScopeState, error) {
	sc, err := s.store.SetActive(ctx, scopeID, active)
	if err != nil {
		return ScopeState{}, err
	}
	fails, err := s.store.Failures(ctx, nil, []string{scopeID})
	if err != nil {
		return ScopeState{}, err
	}
	st := ScopeState{Scope: sc, Failures: fails[scopeID]}
	if st.Failures == nil {
		st.Failures = []ratingstore.Failure{}
	}
	return st, nil
}
