// Package app wires Skyfold together: configuration → store → job queue →
// domain services → HTTP faces → server, and runs it until shutdown.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/api/cloudpods"
	"github.com/skyfold/skyfold/internal/api/keystone"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/settings"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/task"
)

// App is one running Skyfold process.
type App struct {
	Cfg      config.Config
	Log      *slog.Logger
	Store    *store.Store
	Box      *secret.Box
	Jobs     *jobs.Runner
	Tasks    *task.Service
	Settings *settings.Store
	Identity *identity.Service
	Server   *api.Server
	// Inventory is the accounts and inventory service.
	Inventory *inventory.Service

	demo *demo

	// console receives the first-start banner; it is standard error, beside
	// but apart from the log.
	console io.Writer
	// firstPassword is the generated admin password, shown once by Run.
	firstPassword string

	httpSrv  *http.Server
	listener net.Listener
}

// WorkerID is the default name of this process in task records.
func WorkerID(cfg config.Config) string {
	if cfg.WorkerID != "" {
		return cfg.WorkerID
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// OpenStore opens and migrates the configured store, the job queue's tables
// included.
func OpenStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.EffectiveDB())
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// LoadBox loads the master key named by the configuration.
func LoadBox(cfg config.Config, log *slog.Logger) (*secret.Box, error) {
	box, src, err := secret.Load(cfg.MasterKey, cfg.KeyFile())
	if err != nil {
		return nil, err
	}
	switch {
	case src.FromEnv:
		log.Info("master key loaded from configuration", "key_id", box.PrimaryID())
	case src.Created:
		log.Warn("master key file created; back it up: without it encrypted secrets cannot be read", "path", src.File, "key_id", box.PrimaryID())
	default:
		log.Info("master key loaded", "path", src.File, "key_id", box.PrimaryID())
	}
	return box, nil
}

// New builds the application; Run starts it.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir %s: %w", cfg.DataDir, err)
	}
	box, err := LoadBox(cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	log.Info("store ready", "kind", st.Kind, "db", config.MaskDSN(st.DSN()))
	a := &App{Cfg: cfg, Log: log, Store: st, Box: box, Settings: settings.New(st.DB, box), console: os.Stderr}
	worker := WorkerID(cfg)
	a.Jobs = jobs.New(st, jobs.Config{Workers: cfg.Workers, Logger: log, WorkerID: worker})
	a.Tasks = task.NewService(st.DB, a.Jobs, task.Config{WorkerID: worker, Lease: cfg.TaskLease, Logger: log})
	a.Tasks.Register(task.ProbeDefinition())
	a.Tasks.Attach(a.Jobs)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&taskCollector{svc: a.Tasks})
	reg.MustRegister(st.Collectors()...)
	a.Server = api.New(api.Options{Logger: log, BodyLimit: cfg.BodyLimit, Registry: reg, Ready: a.ready})
	if err := a.setupIdentity(ctx); err != nil {
		return nil, err
	}
	cloudpods.RegisterTasks(a.Server, a.Tasks)
	if err := a.setupInventory(ctx); err != nil {
		return nil, err
	}
	if err := a.setupRating(ctx); err != nil {
		return nil, err
	}
	if err := a.setupClusters(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// setupIdentity creates and bootstraps the identity service, installs the
// authentication, rate-limit, policy and audit middleware (before any face
// registers an operation), and registers the Keystone face.
func (a *App) setupIdentity(ctx context.Context) error {
	cfg := a.Cfg
	idc, err := identityConfig(cfg, a.Log)
	if err != nil {
		return err
	}
	a.Identity = identity.New(a.Store.DB, a.Box, idc)
	// A password the operator did not choose is generated here rather than by
	// Bootstrap, so that Run can show it in a banner once the URL to log in
	// to is known. It goes to the console, never to the log.
	envPassword := os.Getenv(identity.AdminPasswordEnv)
	password, generated := envPassword, false
	if password == "" {
		password, generated = identity.GeneratePassword(), true
	}
	res, err := a.Identity.Bootstrap(ctx, identity.BootstrapOptions{AdminPassword: password})
	if err != nil {
		return fmt.Errorf("identity bootstrap: %w", err)
	}
	switch {
	case res.AdminCreated:
		a.Log.Info("identity bootstrapped: domain Default, project system, roles admin/member/reader, user admin",
			"admin_user_id", res.AdminUserID, "generated", generated)
		if generated {
			a.firstPassword = password
		}
	case envPassword != "":
		// Without this line an operator who sets the variable to recover a
		// lost password would wonder why it does not work.
		a.Log.Warn(identity.AdminPasswordEnv+" is set but ignored: the user admin exists already and keeps its password; "+
			"to replace it run skyfold admin reset-password admin", "admin_user_id", res.AdminUserID)
	}
	limit, err := identity.ParseRateLimit(cfg.RateLimit)
	if err != nil {
		return fmt.Errorf("rate_limit: %w", err)
	}
	groups, err := identity.ParseRateLimits(cfg.RateLimitGroups)
	if err != nil {
		return fmt.Errorf("rate_limit_groups: %w", err)
	}
	opts := auth.Options{Identity: a.Identity, Limiter: identity.NewLimiter(nil), RateLimit: limit, GroupLimits: groups, Logger: a.Log}
	auth.Install(a.Server, opts)
	a.Log.Info("authentication on every face", "lifetime", cfg.TokenTTL.String(), "limits", opts.String(),
		"revocations_seen_within", a.Identity.RefreshInterval().String())
	keystone.Register(a.Server, a.Identity, keystone.Options{})
	return nil
}

// identityConfig is the identity service's configuration, the same in the
// server and in the admin commands.
func identityConfig(cfg config.Config, log *slog.Logger) (identity.Config, error) {
	issue, err := identity.ParseRateLimit(cfg.TokenIssueLimit)
	if err != nil {
		return identity.Config{}, fmt.Errorf("token_issue_limit: %w", err)
	}
	return identity.Config{
		TokenTTL: cfg.TokenTTL, LockoutFailures: cfg.LockoutFailures, LockoutDuration: cfg.LockoutDuration,
		LockoutExemptAdmin: cfg.LockoutExemptAdmin, TokenIssueLimit: issue, Logger: log,
	}, nil
}

func (a *App) ready(ctx context.Context) error {
	if err := a.Store.SQL.PingContext(ctx); err != nil {
		return errors.New("store unreachable")
	}
	n, err := a.Store.Pending(ctx)
	if err != nil {
		return errors.New("cannot read migration state")
	}
	if n > 0 {
		return fmt.Errorf("%d migrations pending", n)
	}
	return nil
}

// Listen binds the configured address; Addr then tells the real one (useful
// with port 0).
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Cfg.Listen, err)
	}
	a.listener = ln
	return nil
}

// Addr is the bound address.
func (a *App) Addr() string {
	if a.listener == nil {
		return a.Cfg.Listen
	}
	return a.listener.Addr().String()
}

// Run serves until ctx is done, then drains requests, lets running tasks
// release their leases and stops the job queue, within ShutdownTimeout.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBG()
	if err := a.Jobs.Start(bg); err != nil {
		return err
	}
	a.Tasks.Start(bg)
	if a.Cfg.Demo {
		if err := a.runDemo(bg); err != nil {
			return err
		}
		defer a.demo.stop(context.Background())
	}
	identityDone := make(chan struct{})
	go func() {
		defer close(identityDone)
		a.Identity.Run(bg)
	}()
	defer func() {
		cancelBG()
		<-identityDone
	}()
	a.httpSrv = &http.Server{
		Handler:           a.Server.Handler(),
		ReadTimeout:       a.Cfg.ReadTimeout,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      a.Cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- a.httpSrv.Serve(a.listener) }()
	// The banner comes before the "listening" line: whoever waits for that
	// line (an operator, a script) has the password by then.
	if a.firstPassword != "" {
		a.showFirstPassword()
	}
	a.Log.Info("skyfold listening", "url", "http://"+a.Addr(), "docs", "http://"+a.Addr()+"/docs")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownTimeout)
	defer cancel()
	herr := a.httpSrv.Shutdown(sctx)
	a.Tasks.BeginShutdown()
	jerr := a.Jobs.Stop(sctx)
	cancelBG()
	if herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		return herr
	}
	if jerr != nil && !errors.Is(jerr, context.Canceled) {
		a.Log.Warn("job queue stop", "err", jerr)
	}
	return nil
}

// showFirstPassword writes the generated admin password to the console once,
// as a banner set apart from the log lines, with the commands to log in and
// to recover from a lost password.
func (a *App) showFirstPassword() {
	bin := os.Args[0]
	where := "--data-dir " + a.Cfg.DataDir
	if a.Cfg.DB != "" {
		where = "--db <the same database>"
	}
	rule := strings.Repeat("=", 78)
	banner := "\n" + rule + "\n" +
		"  Skyfold created the user \"admin\" in domain \"Default\" with this password:\n\n" +
		"      " + a.firstPassword + "\n\n" +
		"  It is shown only this once and never logged. Log in with\n\n" +
		"      " + bin + " login --url http://" + a.Addr() + " --user admin\n\n" +
		"  Lost it? Run (the server may keep running)\n" +
		"      " + bin + " admin reset-password admin " + where + "\n" +
		rule + "\n\n"
	// One write, so that no concurrent log line lands inside the banner.
	_, _ = io.WriteString(a.console, banner)
	a.firstPassword = ""
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// taskCollector exports task counts by type and status at scrape time.
type taskCollector struct{ svc *task.Service }

var taskDesc = prometheus.NewDesc("skyfold_tasks", "Tasks by type and status.", []string{"type", "status"}, nil)

func (c *taskCollector) Describe(ch chan<- *prometheus.Desc) { ch <- taskDesc }

func (c *taskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counts, err := c.svc.Counts(ctx)
	if err != nil {
		return
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(taskDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}
