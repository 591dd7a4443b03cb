package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/collector"
	"github.com/skyfold/skyfold/internal/rating/processor"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

// TestDemoPrices starts `serve --demo` twice on one data dir and checks
// that the demo prices are set up once, and that after the demo clouds
// are synced one processing run gives a report total above zero.
func TestDemoPrices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo simulators: skipped with -short")
	}
	t.Setenv("SKYFOLD_ADMIN_PASSWORD", adminPassword)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, "sqlite")
	cfg.Listen = "127.0.0.1:0"
	cfg.RateLimit = "off"
	cfg.Demo = true

	// start runs the app until the returned stop is called.
	start := func() (*app.App, *client, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if err := a.Listen(); err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		c := &client{t: t, base: "http://" + a.Addr()}
		tok := c.must("POST", "/v3/auth/tokens", map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
				"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
			"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
		}}, http.StatusCreated)
		c.token = tok["__token"].(string)
		return a, c, func() { cancel(); <-done; a.Close() }
	}
	rules := func(c *client) (int, int) {
		const hm = "/v1/rating/module_config/hashmap"
		maps := c.must("GET", hm+"/mappings", nil, 200)["mappings"].([]any)
		svcs := c.must("GET", hm+"/services", nil, 200)["services"].([]any)
		return len(maps), len(svcs)
	}

	_, c, stop := start()
	maps, svcs := rules(c)
	stop()
	if maps < 60 || svcs != 2 {
		t.Fatalf("demo rules: %d mappings of %d services", maps, svcs)
	}
	a, c, stop := start()
	defer stop()
	if m, s := rules(c); m != maps || s != svcs {
		t.Fatalf("after a restart: %d mappings of %d services, want %d of %d", m, s, maps, svcs)
	}
	if m := c.must("GET", "/v1/rating/modules/hashmap", nil, 200); m["enabled"] != true {
		t.Fatalf("hashmap module = %v", m)
	}

	// Wait for the StarVCenter tenants' VMs, then rate.
	ctx := context.Background()
	poll(t, "demo StarVCenter VMs synced", 60*time.Second, func() bool {
		n, err := a.Store.DB.NewSelect().Table("resources").Where("instance_type LIKE ?", "starv.%").Count(ctx)
		return err == nil && n > 0
	})
	now := time.Now().UTC()
	pcfg := processor.DefaultConfig()
	pcfg.Logger = slog.New(slog.DiscardHandler)
	pcfg.Leases = task.NewLeases(a.Store.DB, "test-processor", 0)
	pcfg.WaitPeriods = 0
	// Rating a few hours ahead makes whole periods of the synced resources
	// due at once, whatever the time of day.
	pcfg.Now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	svc, err := processor.New(ratingstore.New(a.Store.DB, ratingstore.Config{}), cost.New(a.Store.DB),
		[]collector.Collector{collector.NewInventory(inventory.New(a.Store.DB, nil, nil, inventory.Config{}))}, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ProcessOnce(ctx); err != nil {
		t.Fatal(err)
	}

	q := url.Values{"all_tenants": {"true"}, "begin": {now.AddDate(0, -1, 0).Format("2006-01-02T15:04:05")},
		"end": {now.Add(6 * time.Hour).Format("2006-01-02T15:04:05")}}
	req, _ := http.NewRequest("GET", c.base+"/v1/report/total?"+q.Encode(), nil)
	req.Header.Set("X-Auth-Token", c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var total json.Number
	if err := json.NewDecoder(resp.Body).Decode(&total); err != nil || resp.StatusCode != 200 {
		t.Fatalf("report total: %d %v", resp.StatusCode, err)
	}
	if d, err := money.Parse(total.String()); err != nil || d.Sign() <= 0 {
		t.Fatalf("report total = %s, want > 0", total)
	}
}
