package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/script"
)

type scriptRow struct {
	bun.BaseModel `bun:"table:pyscripts_scripts,alias:p"`

	ID        string     `bun:"id,pk"`
	Name      string     `bun:"name"`
	Data      string     `bun:"data"`
	Checksum  string     `bun:"checksum"`
	StartAt   *time.Time `bun:"start_at"`
	EndAt     *time.Time `bun:"end_at"`
	CreatedAt time.Time  `bun:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at"`
}

func (r *scriptRow) model() script.Script {
	return script.Script{ID: r.ID, Name: r.Name, Data: r.Data, Checksum: r.Checksum, Start: tval(r.StartAt), End: tval(r.EndAt)}
}

// Scripts lists the scripts, by name; without data when noData is set.
func (s *Store) Scripts(ctx context.Context, noData bool) ([]script.Script, error) {
	var rows []scriptRow
	q := s.db.NewSelect().Model(&rows).Order("name", "id")
	if noData {
		q = q.ExcludeColumn("data")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("scripts: %w", err)
	}
	out := make([]script.Script, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].model())
	}
	return out, nil
}

// Script returns one script.
func (s *Store) Script(ctx context.Context, id string) (script.Script, error) {
	var x scriptRow
	if err := s.get(ctx, &x, id, "script"); err != nil {
		return script.Script{}, err
	}
	return x.model(), nil
}

// checkScript validates a script's fields and compiles it, so a syntax
// error is refused with its line rather than stored.
func checkScript(sc script.Script) error {
	if sc.Name == "" {
		return required("name")
	}
	if sc.Data == "" {
		return required("data")
	}
	if !sc.Start.IsZero() && !sc.End.IsZero() && sc.End.Before(sc.Start) {
		return errs.Field("end", fmt.Sprintf("Cannot create a rule with start after end. start=[%s] end=[%s].",
			sc.Start.UTC().Format("2006-01-02 15:04:05"), sc.End.UTC().Format("2006-01-02 15:04:05")))
	}
	if _, err := script.Compile(sc, script.Limits{}); err != nil {
		var me *rating.ModuleError
		if errors.As(err, &me) {
			return invalidInput("data", me.Error())
		}
		return invalidInput("data", err.Error())
	}
	return nil
}

func (s *Store) nameTaken(ctx context.Context, tx bun.IDB, name, exceptID string) error {
	var other scriptRow
	err := tx.NewSelect().Model(&other).Column("id").Where("name = ?", name).Where("id <> ?", exceptID).Limit(1).Scan(ctx)
	if err == nil {
		return errs.E(errs.Conflict, "Script %s already exists (UUID: %s)", name, other.ID)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// CreateScript validates, compiles and stores a script; the checksum is the
// SHA-512 of its data.
func (s *Store) CreateScript(ctx context.Context, sc script.Script) (script.Script, error) {
	sc.ID = ids.New()
	if err := checkScript(sc); err != nil {
		return script.Script{}, err
	}
	sc.Checksum = script.Checksum(sc.Data)
	now := s.now()
	row := scriptRow{ID: sc.ID, Name: sc.Name, Data: sc.Data, Checksum: sc.Checksum, StartAt: tptr(sc.Start), EndAt: tptr(sc.End),
		CreatedAt: now, UpdatedAt: now}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.nameTaken(ctx, tx, sc.Name, sc.ID); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&row).Exec(ctx)
		return err
	})
	return sc, err
}

// UpdateScript replaces a script's name, data and validity.
func (s *Store) UpdateScript(ctx context.Context, sc script.Script) (script.Script, error) {
	if err := checkScript(sc); err != nil {
		return script.Script{}, err
	}
	sc.Checksum = script.Checksum(sc.Data)
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur scriptRow
		if err := tx.NewSelect().Model(&cur).Where("id = ?", sc.ID).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.NotFound, "No such script: %s", sc.ID)
			}
			return err
		}
		if err := s.nameTaken(ctx, tx, sc.Name, sc.ID); err != nil {
			return err
		}
		row := scriptRow{ID: sc.ID, Name: sc.Name, Data: sc.Data, Checksum: sc.Checksum, StartAt: tptr(sc.Start), EndAt: tptr(sc.End),
			CreatedAt: cur.CreatedAt, UpdatedAt: s.now()}
		_, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx)
		return err
	})
	return sc, err
}

// DeleteScript deletes a script.
func (s *Store) DeleteScript(ctx context.Context, id string) error {
	return s.deleteRule(ctx, (*scriptRow)(nil), id, "script")
}
