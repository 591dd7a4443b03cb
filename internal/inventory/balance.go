package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
)

// ReadBalance asks the account's cloud for its balance now, records it with
// its currency on the account, and returns the account. A cloud without
// balances (a private cloud) is not_supported, and the recorded balance is
// left as it was.
func (s *Service) ReadBalance(ctx context.Context, id string) (*Account, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Status == StatusDeleting {
		return nil, errs.E(errs.Conflict, "account %s is being deleted", a.Name)
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return nil, cloud.AsDomain(err)
	}
	defer drv.Close()
	if !drv.Capabilities().Has(cloud.CapBalance) {
		return nil, errs.E(errs.NotSupported, "%s accounts have no balance to read", a.Provider)
	}
	b, err := drv.Balance(ctx)
	if errors.Is(err, cloud.ErrNotSupported) {
		return nil, errs.E(errs.NotSupported, "%s accounts have no balance to read", a.Provider)
	}
	if err != nil {
		return nil, cloud.AsDomain(fmt.Errorf("read balance of %s: %w", a.Name, err))
	}
	if _, err := s.db.NewUpdate().Model((*Account)(nil)).Set("balance = ?", b.Available.Amount).
		Set("currency = ?", b.Available.Currency).Set("updated_at = ?", s.now()).Where("id = ?", a.ID).Exec(ctx); err != nil {
		return nil, fmt.Errorf("record balance: %w", err)
	}
	return s.Get(ctx, a.ID)
}
