package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// The helpers below are the shapes domains, projects, users, groups and
// roles share: read by id, find by id or name, check the domain a new
// object goes to, and filter a list.

// getRow reads the row of T with id; a missing row is kind's not found.
func getRow[T any](ctx context.Context, db bun.IDB, kind, id string) (*T, error) {
	v := new(T)
	if err := db.NewSelect().Model(v).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, kind, id)
	}
	return v, nil
}

// findRow reads a row by id or, without one, by name — within domainID
// for the kinds whose names are unique per domain (domainID non-nil).
func findRow[T any](ctx context.Context, db bun.IDB, kind, id, name string, domainID *string) (*T, error) {
	if id != "" {
		return getRow[T](ctx, db, kind, id)
	}
	v := new(T)
	q := db.NewSelect().Model(v).Where("name = ?", name)
	if domainID != nil {
		q = q.Where("domain_id = ?", *domainID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, kind, name)
	}
	return v, nil
}

// domainExists checks the domain a new object names; field is the
// object's domain_id input field.
func (s *Service) domainExists(ctx context.Context, field, domainID string) error {
	if _, err := s.GetDomain(ctx, domainID); err != nil {
		if errs.Is(err, errs.NotFound) {
			return errs.Field(field, "no such domain")
		}
		return err
	}
	return nil
}

// listFilter is what the lists of domains, projects, users and groups
// filter on; an empty field (nil enabled, nil ids) does not filter.
type listFilter struct {
	domainID string
	name     string
	enabled  *bool
	ids      []string
	within   *bun.SelectQuery // when set, only the ids it selects
}

// listRows lists the rows of T by name (then id, for the kinds that order
// by it too); a non-nil empty ids list matches nothing without a query.
func listRows[T any](ctx context.Context, q *bun.SelectQuery, kind string, f listFilter) ([]T, error) {
	out := []T{}
	if f.ids != nil && len(f.ids) == 0 {
		return out, nil
	}
	q = q.Model(&out)
	if f.domainID != "" {
		q = q.Where("domain_id = ?", f.domainID)
	}
	if f.name != "" {
		q = q.Where("name = ?", f.name)
	}
	if f.enabled != nil {
		q = q.Where("enabled = ?", *f.enabled)
	}
	if f.ids != nil {
		q = q.Where("id IN (?)", bun.List(f.ids))
	}
	if f.within != nil {
		q = q.Where("id IN (?)", f.within)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return out, nil
}

// insertNew stores a new row, giving it an id unless it has one and its
// creation time; a duplicate name is kind's conflict.
func (s *Service) insertNew(ctx context.Context, row any, id *string, created, updated *time.Time, kind, name string) error {
	now := s.now()
	if *id == "" {
		*id = NewID()
	}
	*created, *updated = now, now
	if _, err := s.db.NewInsert().Model(row).Exec(ctx); err != nil {
		return conflict(err, kind, name)
	}
	return nil
}

// deleteActor deletes a user or a group (model is a nil *User or *Group)
// and its role assignments together.
func (s *Service) deleteActor(ctx context.Context, model any, actorType, id string) error {
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Assignment)(nil)).Where("actor_type = ? AND actor_id = ?", actorType, id).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model(model).Where("id = ?", id).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", actorType, id, err)
	}
	return nil
}
