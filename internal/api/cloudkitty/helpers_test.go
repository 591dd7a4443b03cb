package cloudkitty_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/rating/collector"
	"github.com/skyfold/skyfold/internal/rating/processor"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

const adminPassword = "Adm1n-pass-for-rating-tests"

type client struct {
	t     *testing.T
	base  string
	token string
	app   *app.App
}

// do sends a request and returns the status and the raw body.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// must sends a request, checks the status and decodes the JSON answer.
func (c *client) must(method, path string, body any, want int) any {
	c.t.Helper()
	st, raw := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, st, want, raw)
	}
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		c.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return v
}

func (c *client) obj(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	v, _ := c.must(method, path, body, want).(map[string]any)
	return v
}

// fault checks a CloudKitty error: status and faultstring.
func (c *client) fault(method, path string, body any, want int, msg string) {
	c.t.Helper()
	m := c.obj(method, path, body, want)
	if m["faultcode"] != "Client" || m["faultstring"] != msg {
		c.t.Fatalf("%s %s: %v, want faultstring %q", method, path, m, msg)
	}
}

// startApp runs a whole Skyfold in-process on a fresh store and logs in as
// the bootstrap admin (project system).
func startApp(t *testing.T, kind string) *client {
	t.Helper()
	t.Setenv("SKYFOLD_ADMIN_PASSWORD", adminPassword)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, kind)
	cfg.Listen = "127.0.0.1:0"
	cfg.RateLimit = "off"
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
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
	t.Cleanup(func() {
		cancel()
		<-done
		_ = a.Close()
	})
	c := &client{t: t, base: "http://" + a.Addr(), app: a}
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
	}})
	resp, err := http.Post(c.base+"/v3/auth/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	c.token = resp.Header.Get("X-Subject-Token")
	return c
}

// disk inserts a disk of the inventory, created long before the month.
func (c *client) disk(id, project string, gib int) {
	c.t.Helper()
	created := time.Now().UTC().AddDate(0, 0, -40)
	r := &inventory.Resource{ID: id, Kind: inventory.KindDisk, CloudaccountID: "acc", CloudproviderID: "prov", CloudregionID: "reg",
		ExternalID: "ext-" + id, Name: id, Status: "ready", ProjectID: project, SizeGB: gib, Tags: json.RawMessage(`{}`),
		Data: json.RawMessage(`{"category":"cloud_ssd"}`), CreatedAt: created, UpdatedAt: created, SyncedAt: created}
	if _, err := c.app.Store.DB.NewInsert().Model(r).Exec(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.app.Store.DB.NewRaw("INSERT INTO resource_data (id, data) VALUES (?, ?)", r.ID, string(r.Data)).Exec(context.Background()); err != nil {
		c.t.Fatal(err)
	}
}

// process runs a processor over the app's store with the real clock until
// no scope is busy (the app's own periodic run may hold one).
func (c *client) process() {
	c.t.Helper()
	db := c.app.Store.DB
	cfg := processor.DefaultConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Leases = task.NewLeases(db, "test-processor", 0)
	svc, err := processor.New(ratingstore.New(db, ratingstore.Config{}), cost.New(db),
		[]collector.Collector{collector.NewInventory(inventory.New(db, nil, nil, inventory.Config{}))}, cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.Load(ctx); err != nil {
		c.t.Fatal(err)
	}
	for range 100 {
		st, err := svc.ProcessOnce(ctx)
		if err != nil {
			c.t.Fatal(err)
		}
		if st.Busy == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatal("scopes stayed busy")
}
