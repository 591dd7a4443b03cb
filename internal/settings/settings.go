// Package settings owns the key-value settings table: run-time configuration
// that operators change through the API (notification credentials, feature
// switches). Secret values are encrypted with the master key and never
// returned by List.
package settings

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/secret"
)

func init() {
	secret.RegisterColumn(secret.Column{Table: "settings", Key: "key", Name: "value"})
}

type row struct {
	bun.BaseModel `bun:"table:settings"`
	Key           string    `bun:"key,pk"`
	Value         string    `bun:"value"`
	Secret        bool      `bun:"secret"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// Setting is one entry as List shows it: secret values are masked.
type Setting struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	Secret    bool      `json:"secret"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Store reads and writes settings.
type Store struct {
	db  bun.IDB
	box *secret.Box
}

// New returns a settings store.
func New(db bun.IDB, box *secret.Box) *Store { return &Store{db: db, box: box} }

// Put sets a value, encrypting it when secret is true.
func (s *Store) Put(ctx context.Context, key, value string, isSecret bool) error {
	if key == "" {
		return errs.Field("key", "must not be empty")
	}
	v := value
	if isSecret {
		var err error
		if v, err = s.box.Encrypt(value); err != nil {
			return err
		}
	}
	r := &row{Key: key, Value: v, Secret: isSecret, UpdatedAt: time.Now().UTC()}
	_, err := s.db.NewInsert().Model(r).
		On("CONFLICT (key) DO UPDATE").
		Set("value = EXCLUDED.value, secret = EXCLUDED.secret, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return err
}

// Get returns a value, decrypted if it is secret.
func (s *Store) Get(ctx context.Context, key string) (string, error) {
	var r row
	err := s.db.NewSelect().Model(&r).Where("key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFoundf("setting", key)
	}
	if err != nil {
		return "", err
	}
	if r.Secret {
		return s.box.Decrypt(r.Value)
	}
	return r.Value, nil
}

// List returns every setting with secret values masked.
func (s *Store) List(ctx context.Context) ([]Setting, error) {
	var rows []row
	if err := s.db.NewSelect().Model(&rows).Order("key").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Setting, len(rows))
	for i, r := range rows {
		v := r.Value
		if r.Secret {
			v = "***"
		}
		out[i] = Setting{Key: r.Key, Value: v, Secret: r.Secret, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}
