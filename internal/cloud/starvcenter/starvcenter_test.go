package starvcenter_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cloud/cloudtest"
	_ "github.com/skyfold/skyfold/internal/cloud/starvcenter"
	sim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

const (
	testToken  = "tenant-token-a"
	adminToken = "platform-admin-token"
)

// world is a simulator behind a loopback HTTP server and the tenant id of
// testToken.
type world struct {
	sim    *sim.Server
	srv    *httptest.Server
	tenant string
}

// newWorld starts a simulator whose tasks take taskDuration.
func newWorld(t testing.TB, mod ...func(*sim.Config)) *world {
	t.Helper()
	cfg := sim.Config{Tokens: []string{testToken}, AdminToken: adminToken, Seed: 7,
		TaskDuration: 40 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = s.Close()
	})
	w := &world{sim: s, srv: srv}
	for _, ten := range s.Status().Tenants {
		for _, tok := range ten.Tokens {
			if tok == testToken {
				w.tenant = ten.ID
			}
		}
	}
	if w.tenant == "" {
		t.Fatal("no tenant for the test token")
	}
	return w
}

func (w *world) config(token, tenant string) cloud.AccountConfig {
	return cloud.AccountConfig{Endpoint: w.srv.URL, AccessKeySecret: token, AccessKeyID: tenant,
		HTTPClient: w.srv.Client(), Logger: slog.New(slog.DiscardHandler),
		Options: map[string]string{"task_poll_interval": "5ms", "task_poll_max": "40ms", "task_timeout": "30s"}}
}

// open opens the driver through the registry, as Skyfold does.
func (w *world) open(t testing.TB) cloud.Provider {
	t.Helper()
	p, err := cloud.Open(context.Background(), "starvcenter", w.config(testToken, w.tenant))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func (w *world) region(t testing.TB, p cloud.Provider) cloud.RegionClient {
	t.Helper()
	regions, err := p.Regions(context.Background())
	if err != nil || len(regions) != 1 {
		t.Fatalf("Regions = %v, %v", regions, err)
	}
	r, err := p.Region(regions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// admin calls the simulator with the platform token.
func (w *world) admin(t testing.TB, method, path string, param map[string]any) *sim.Response {
	t.Helper()
	form, err := sim.ParamForm(param)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, w.srv.URL+sim.BasePath+"/"+path, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sim.HeaderToken, adminToken)
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r, err := sim.DecodeResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("%s %s: result %s %s", method, path, r.Result, r.ResultInfo)
	}
	return r
}

func TestConformance(t *testing.T) {
	w := newWorld(t)
	regionID := "starvcenter-127-0-0-1"
	cloudtest.Run(t, func(t *testing.T) cloud.Provider { return w.open(t) }, cloudtest.Options{
		Region: regionID,
		// StarVCenter picks each private network's /24 itself (10.x.y.0/24,
		// the first one 10.0.1.0/24 on a fresh simulator), and a network is
		// its own single subnet, so the suite asks for exactly that range.
		VPCCIDR:    "10.0.1.0/24",
		SubnetCIDR: "10.0.1.0/24",
		// Public IPs are IP mappings from the outer pool (8 per tenant by
		// default: the suite's 2+5 instances fit).
		PublicBandwidth: 1,
		PollInterval:    10 * time.Millisecond,
		WaitTimeout:     30 * time.Second,
		InvalidCredentials: func(t *testing.T) cloud.Provider {
			p, err := cloud.Open(context.Background(), "StarVCenter", w.config("not-a-token", ""))
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
	})
}
