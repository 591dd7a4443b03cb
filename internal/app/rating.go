package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/skyfold/skyfold/internal/api/cloudkitty"
	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/rating/collector"
	"github.com/skyfold/skyfold/internal/rating/processor"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
)

// ratingConfig builds the processor settings from the configuration.
func (a *App) ratingConfig() (processor.Config, error) {
	cfg := processor.DefaultConfig()
	cfg.Period = a.Cfg.RatingPeriod
	cfg.WaitPeriods = a.Cfg.RatingWaitPeriods
	cfg.Interval = a.Cfg.RatingInterval
	cfg.Currency = a.Cfg.RatingCurrency
	path := a.Cfg.RatingMetrics
	if path == "" {
		if p := filepath.Join(a.Cfg.DataDir, "metrics.yml"); fileExists(p) {
			path = p
		}
	}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("rating metrics: %w", err)
		}
		m, err := collector.Parse(raw)
		if err != nil {
			return cfg, fmt.Errorf("rating metrics %s: %w", path, err)
		}
		cfg.Metrics = m
		a.Log.Info("rating metrics loaded", "path", path, "metrics", len(m.Metrics))
	}
	return cfg, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// setupRating builds the rating service (collector over the inventory,
// hashmap and script modules, processor writing cost records), registers
// the CloudKitty face (/v1 and /v2/scope) and the periodic processor job.
func (a *App) setupRating(ctx context.Context) error {
	cfg, err := a.ratingConfig()
	if err != nil {
		return err
	}
	inv := a.Inventory
	if inv == nil {
		// A read-only view of the inventory: no task types registered.
		inv = inventory.New(a.Store.DB, a.Box, nil, inventory.Config{Logger: a.Log})
	}
	log := a.Log.With("component", "rating")
	cfg.Leases = a.Tasks.Leases()
	cfg.Logger = log
	rs := ratingstore.New(a.Store.DB, ratingstore.Config{Logger: log})
	svc, err := processor.New(rs, cost.New(a.Store.DB), []collector.Collector{collector.NewInventory(inv)}, cfg)
	if err != nil {
		return err
	}
	if err := svc.Load(ctx); err != nil {
		if ctx.Err() != nil {
			return err
		}
		// Scripts that do not compile are reported in the module state.
		log.Warn("rating configuration loaded with errors", "err", err)
	}
	if a.Cfg.Demo {
		if err := seedDemoPrices(ctx, svc); err != nil {
			return fmt.Errorf("demo prices: %w", err)
		}
	}
	cloudkitty.Register(a.Server, svc, cloudkitty.Options{})
	a.Jobs.AddPeriodic(svc.Periodic())
	c := svc.Config()
	log.Info("rating ready", "period", c.Period.String(), "wait_periods", c.WaitPeriods, "interval", c.Interval.String(),
		"metrics", len(c.Metrics.Metrics), "currency", c.Currency)
	return nil
}
