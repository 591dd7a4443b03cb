package app

import (
	"context"
	"fmt"
	"time"

	"github.com/skyfold/skyfold/internal/api/cloudpods"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/jobs"
)

// setupInventory creates the accounts and inventory service, registers the
// Cloudpods inventory face, and the periodic probe and scheduled sync.
func (a *App) setupInventory(ctx context.Context) error {
	a.Inventory = inventory.New(a.Store.DB, a.Box, a.Tasks, inventory.Config{Logger: a.Log, BulkDB: a.Store.Bulk})
	f := &cloudpods.Face{Inv: a.Inventory, IDs: a.Identity, Tasks: a.Tasks}
	f.Register(a.Server)
	a.Jobs.AddPeriodic(jobs.Periodic{Name: "inventory.schedule", Interval: inventory.ScheduleTick, Run: func(ctx context.Context) error {
		n, err := a.Inventory.ScheduleDue(ctx)
		if n > 0 {
			a.Log.Info("scheduled syncs queued", "accounts", n)
		}
		return err
	}})
	a.Jobs.AddPeriodic(jobs.Periodic{Name: "inventory.probe", Interval: 5 * time.Minute, Run: func(ctx context.Context) error {
		return a.Inventory.ProbeAll(ctx)
	}})
	return nil
}

// runDemo starts the built-in simulators and demo accounts, owned by the
// bootstrap admin project.
func (a *App) runDemo(ctx context.Context) error {
	d, err := a.Identity.FindDomain(ctx, "", "Default")
	if err != nil {
		return fmt.Errorf("demo: find the Default domain: %w", err)
	}
	p, err := a.Identity.FindProject(ctx, "", "system", d.ID)
	if err != nil {
		return fmt.Errorf("demo: find the system project: %w", err)
	}
	return a.startDemo(ctx, p.DomainID, p.ID)
}
