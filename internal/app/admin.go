package app

import (
	"context"

	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/secret"
)

// RotateKey re-encrypts every stored secret under newKey (empty: a generated
// one) and replaces the configured master key; see secret.Rotate.
func RotateKey(ctx context.Context, cfg config.Config, newKey string) (secret.RotationResult, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return secret.RotationResult{}, err
	}
	defer st.Close()
	return secret.Rotate(ctx, st.DB, secret.Rotation{EnvKeys: cfg.MasterKey, KeyFile: cfg.KeyFile(), NewKey: newKey})
}
