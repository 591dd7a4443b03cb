package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	starvcentersim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

// Demo credentials: documented fakes that only the built-in simulators accept.
const (
	DemoAliyunKey    = "LTAI5tEXAMPLEKEYID00001"
	DemoAliyunSecret = "EXAMPLEsecretEXAMPLEsecret0001"
	demoAliyunUID    = "1423762516458388"
	demoInstances    = 300

	// DemoStarVCenterTokenPrefix names the tenant tokens of the demo
	// StarVCenter: tenant N's token is the prefix followed by N.
	DemoStarVCenterTokenPrefix = "EXAMPLE-starvcenter-demo-token-"
	demoStarVCenterTenants     = 3
	demoStarVCenterVMs         = 8 // per tenant
	demoStarVCenterAccount     = "demo-starvcenter-"
)

// demo runs the built-in simulators on loopback ports and connects demo
// accounts to them, so a first run shows a populated platform.
type demo struct {
	aliyun         *aliyunsim.Server
	starvcenter    *starvcentersim.Server
	servers        []*http.Server
	aliyunURL      string
	starvcenterURL string
}

// startDemo starts the Aliyun and StarVCenter simulators (state under
// DATA_DIR/demo), fills them on first start, and connects demo accounts:
// the Aliyun one owned by the system project, one StarVCenter account per
// simulated tenant, each owned by a project of its own. Every account's
// first sync is a normal task.
func (a *App) startDemo(ctx context.Context, ownerDomain, ownerProject string) error {
	d := &demo{}
	err := a.startAliyunDemo(ctx, d, ownerDomain, ownerProject)
	if err == nil {
		if err = a.startStarVCenterDemo(ctx, d, ownerDomain); err != nil {
			err = fmt.Errorf("demo: starvcenter: %w", err)
		}
	}
	if err != nil {
		d.stop(context.WithoutCancel(ctx)) // the caller stops only a demo that started
		return err
	}
	a.demo = d
	return nil
}

// serve serves h on a new loopback port until stop and returns its URL.
func (d *demo) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, srv)
	go func() { _ = srv.Serve(ln) }() // ends when stop shuts srv down
	return "http://" + ln.Addr().String(), nil
}

func (a *App) startAliyunDemo(ctx context.Context, d *demo, ownerDomain, ownerProject string) error {
	stateDir := filepath.Join(a.Cfg.DataDir, "demo", "aliyun")
	sim, err := aliyunsim.New(aliyunsim.Config{StateDir: stateDir, Logger: a.Log.With("component", "sim-aliyun"),
		Accounts: []aliyunsim.Account{{AccessKeyID: DemoAliyunKey, AccessKeySecret: DemoAliyunSecret, AccountID: demoAliyunUID, Name: "demo"}}})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	d.aliyun = sim
	if d.aliyunURL, err = d.serve(sim.Handler()); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.Log.Info("demo: Aliyun simulator listening", "url", d.aliyunURL)

	// The simulator keeps its state, but its port changes with each start:
	// point the demo account at the new endpoint.
	page, err := a.Inventory.ListAccounts(ctx, inventory.SystemScope, listing.Params{Limit: 100})
	if err != nil {
		return err
	}
	for _, acct := range page.Items {
		if acct.Provider == "Aliyun" && acct.Account == DemoAliyunKey {
			if err := a.Inventory.SetAccessURL(ctx, acct.ID, d.aliyunURL); err != nil {
				return err
			}
			_, err := a.Inventory.RequestSync(ctx, acct.ID, inventory.SyncRequest{})
			return err
		}
	}
	if err := sim.Populate(DemoAliyunKey, aliyunsim.PopulateOptions{Instances: demoInstances,
		Regions: []string{"cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen"}, IdleShare: 0.2,
		Buckets: 6, DBs: 4, Caches: 3, Kafkas: 2}); err != nil {
		return fmt.Errorf("demo: populate: %w", err)
	}
	_, err = a.Inventory.Create(ctx, inventory.CreateInput{Name: "demo-aliyun", Description: "Demo account on the built-in Aliyun simulator",
		Provider: "Aliyun", AccessURL: d.aliyunURL, AccessKeyID: DemoAliyunKey, AccessKeySecret: DemoAliyunSecret,
		Regions: []string{"cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen"}, Enabled: true,
		DomainID: ownerDomain, ProjectID: ownerProject, SyncIntervalSeconds: 3600})
	if err != nil && !errs.Is(err, errs.Conflict) {
		return fmt.Errorf("demo: connect account: %w", err)
	}
	return nil
}

// startStarVCenterDemo starts the StarVCenter simulator, fills it with a few
// tenants on first start, and connects (or re-points) one account per
// tenant: access URL = the simulator, access_key_id = the tenant id,
// access_key_secret = the tenant token. Each tenant is mapped onto a
// project "starvcenter-<tenant>" of the owner domain.
func (a *App) startStarVCenterDemo(ctx context.Context, d *demo, ownerDomain string) error {
	stateDir := filepath.Join(a.Cfg.DataDir, "demo", "starvcenter")
	sim, err := starvcentersim.New(starvcentersim.Config{StateDir: stateDir, Logger: a.Log.With("component", "sim-starvcenter")})
	if err != nil {
		return err
	}
	d.starvcenter = sim
	if d.starvcenterURL, err = d.serve(sim.Handler()); err != nil {
		return err
	}
	a.Log.Info("demo: StarVCenter simulator listening", "url", d.starvcenterURL)
	if sim.Status().Counts["vms"] == 0 {
		if err := sim.Populate(starvcentersim.PopulateOptions{Tenants: demoStarVCenterTenants,
			VMsPerTenant: demoStarVCenterVMs, Hosts: 2, TokenPrefix: DemoStarVCenterTokenPrefix}); err != nil {
			return fmt.Errorf("populate: %w", err)
		}
	}
	page, err := a.Inventory.ListAccounts(ctx, inventory.SystemScope, listing.Params{Limit: 1000})
	if err != nil {
		return err
	}
	existing := map[string]inventory.Account{} // by tenant id
	for _, acct := range page.Items {
		if acct.Provider == "StarVCenter" && strings.HasPrefix(acct.Name, demoStarVCenterAccount) {
			existing[acct.Account] = acct
		}
	}
	for _, t := range sim.Status().Tenants {
		token := ""
		for _, tok := range t.Tokens {
			if strings.HasPrefix(tok, DemoStarVCenterTokenPrefix) {
				token = tok
			}
		}
		if token == "" {
			continue
		}
		if acct, ok := existing[t.ID]; ok {
			if err := a.Inventory.SetAccessURL(ctx, acct.ID, d.starvcenterURL); err != nil {
				return err
			}
			if _, err := a.Inventory.RequestSync(ctx, acct.ID, inventory.SyncRequest{}); err != nil {
				a.Log.Warn("demo: sync StarVCenter account", "account", acct.Name, "err", err)
			}
			continue
		}
		p, err := a.demoProject(ctx, ownerDomain, "starvcenter-"+t.Name,
			"Demo: the projects of StarVCenter tenant "+t.Name)
		if err != nil {
			return err
		}
		_, err = a.Inventory.Create(ctx, inventory.CreateInput{Name: demoStarVCenterAccount + t.Name,
			Description: "Demo tenant " + t.Name + " on the built-in StarVCenter simulator", Provider: "StarVCenter",
			AccessURL: d.starvcenterURL, AccessKeyID: t.ID, AccessKeySecret: token, Enabled: true,
			DomainID: p.DomainID, ProjectID: p.ID, SyncIntervalSeconds: 3600})
		if err != nil && !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("connect tenant %s: %w", t.Name, err)
		}
	}
	return nil
}

// demoProject finds or creates a project of the domain.
func (a *App) demoProject(ctx context.Context, domainID, name, description string) (*identity.Project, error) {
	if p, err := a.Identity.FindProject(ctx, "", name, domainID); err == nil {
		return p, nil
	}
	p, err := a.Identity.CreateProject(ctx, identity.Project{DomainID: domainID, Name: name, Description: description, Enabled: true})
	if errs.Is(err, errs.Conflict) {
		return a.Identity.FindProject(ctx, "", name, domainID)
	}
	return p, err
}

func (d *demo) stop(ctx context.Context) {
	if d == nil {
		return
	}
	for _, s := range d.servers {
		_ = s.Shutdown(ctx)
	}
	if d.aliyun != nil {
		_ = d.aliyun.Close()
	}
	if d.starvcenter != nil {
		_ = d.starvcenter.Close()
	}
}
