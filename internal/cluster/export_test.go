package cluster

import (
	"context"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/inventory"
)

// ProviderForTest exposes the paced driver of an account to tests.
func (s *Service) ProviderForTest(ctx context.Context, a *inventory.Account) (cloud.Provider, error) {
	return s.provider(ctx, a)
}
