package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// Parameter is one of a user's saved console settings (Cloudpods calls them
// parameters: the columns, page size and filters of a list, under names
// such as LIST_CloudaccountList). The value is any JSON the console sends.
type Parameter struct {
	bun.BaseModel `bun:"table:user_parameters"`

	ID            string          `bun:"id,pk"`
	UserID        string          `bun:"user_id"`
	Name          string          `bun:"name"`
	Value         json.RawMessage `bun:"value,type:text"`
	CreatedAt     time.Time       `bun:"created_at"`
	UpdatedAt     time.Time       `bun:"updated_at"`
	UpdateVersion int             `bun:"update_version"`
}

// maxParameterValue bounds a saved value: a console setting, not storage.
const maxParameterValue = 64 << 10

var parameterName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// GetParameter returns the user's parameter of that name.
func (s *Service) GetParameter(ctx context.Context, userID, name string) (*Parameter, error) {
	p := new(Parameter)
	if err := s.db.NewSelect().Model(p).Where("user_id = ?", userID).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, notFound(err, "parameter", name)
	}
	return p, nil
}

// ListParameters lists the user's parameters by name.
func (s *Service) ListParameters(ctx context.Context, userID string) ([]Parameter, error) {
	out := []Parameter{}
	if err := s.db.NewSelect().Model(&out).Where("user_id = ?", userID).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list parameters: %w", err)
	}
	return out, nil
}

// SetParameter saves the user's parameter, replacing the value a name
// already has; each replacement counts in update_version.
func (s *Service) SetParameter(ctx context.Context, userID, name string, value json.RawMessage) (*Parameter, error) {
	if !parameterName.MatchString(name) {
		return nil, errs.Field("name", "1-128 letters, digits and _ . : -")
	}
	if len(value) == 0 {
		return nil, errs.Field("value", "required")
	}
	if len(value) > maxParameterValue {
		return nil, errs.Field("value", fmt.Sprintf("at most %d bytes", maxParameterValue))
	}
	if !json.Valid(value) {
		return nil, errs.Field("value", "not JSON")
	}
	now := s.now()
	p := &Parameter{ID: NewID(), UserID: userID, Name: name, Value: value, CreatedAt: now, UpdatedAt: now}
	if _, err := s.db.NewInsert().Model(p).
		On("CONFLICT (user_id, name) DO UPDATE").
		Set("value = EXCLUDED.value").Set("updated_at = EXCLUDED.updated_at").
		Set("update_version = ?TableAlias.update_version + 1").Exec(ctx); err != nil {
		return nil, fmt.Errorf("save parameter %s: %w", name, err)
	}
	return s.GetParameter(ctx, userID, name)
}

// DeleteParameter removes the user's parameter of that name.
func (s *Service) DeleteParameter(ctx context.Context, userID, name string) error {
	res, err := s.db.NewDelete().Model((*Parameter)(nil)).Where("user_id = ?", userID).Where("name = ?", name).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete parameter %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "Could not find parameter: %s.", name)
	}
	return nil
}
