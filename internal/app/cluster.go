package app

import (
	"context"
	"errors"

	"github.com/skyfold/skyfold/internal/api/bridgx"
	"github.com/skyfold/skyfold/internal/cluster"
)

// setupClusters creates the cluster service (templates, expand and shrink
// tasks, instances, usage) on top of the inventory and registers the BridgX
// face, /api/v1.
func (a *App) setupClusters(ctx context.Context) error {
	if a.Inventory == nil {
		return errors.New("clusters need the inventory service: set it up first")
	}
	svc := cluster.New(a.Store.DB, a.Box, a.Tasks, a.Inventory, cluster.Config{Logger: a.Log})
	bridgx.Register(a.Server, svc)
	a.Log.Debug("BridgX face ready", "path", "/api/v1")
	return nil
}
