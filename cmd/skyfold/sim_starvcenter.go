package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	starvcentersim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

func init() {
	var (
		listen, stateDir, adminToken, populate string
		tokens                                 []string
		latency, taskDuration                  time.Duration
		failRate, taskFailRate                 float64
		seed                                   int64
	)
	cmd := &cobra.Command{
		Use:   "starvcenter",
		Short: "Run a StarVCenter private-cloud simulator (Base64 KEY_PARAM protocol)",
		Long: `Serves the StarVCenter third-party integration API under
/starvcenter/services/cloudresource: the tenant token in the KEY_TOKEN header,
Base64 JSON business parameters in the KEY_PARAM form field, Base64 JSON
responses. The token values are fakes for local use only.

Admin endpoints (plain JSON) live under /_sim/: GET status, GET|PUT config
(latency, failRate, taskFailRate, taskDuration), POST reset, populate
({"tenants":3,"vmsPerTenant":10}), tokens ({"token":"t","tenantId":""}),
vm ({"vmId":"...","lock":1}) and host ({"hostId":"...","state":2}).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return fmt.Errorf("--listen %q: %w", listen, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return fmt.Errorf("--listen %q: the simulator only listens on loopback addresses", listen)
			}
			tenants, vms, err := parsePopulate(populate)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, nil))
			sim, err := starvcentersim.New(starvcentersim.Config{
				StateDir: stateDir, Tokens: tokens, AdminToken: adminToken, Latency: latency,
				FailRate: failRate, TaskFailRate: taskFailRate, Seed: seed, TaskDuration: taskDuration, Logger: log,
			})
			if err != nil {
				return err
			}
			defer func() {
				if err := sim.Close(); err != nil {
					log.Error("close simulator", "err", err)
				}
			}()
			if tenants > 0 {
				if err := sim.Populate(starvcentersim.PopulateOptions{Tenants: tenants, VMsPerTenant: vms}); err != nil {
					return err
				}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			fmt.Fprintf(cmd.OutOrStdout(), "starvcenter simulator listening on http://%s%s\n", ln.Addr(), starvcentersim.BasePath)
			select {
			case err := <-errc:
				if !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			case <-ctx.Done():
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = srv.Shutdown(shutdownCtx)
			<-errc
			log.Info("starvcenter simulator stopped")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8702", "loopback address to listen on")
	f.StringVar(&stateDir, "state-dir", "", "directory that keeps the state across restarts (empty: memory only)")
	f.StringSliceVar(&tokens, "token", []string{"svc-demo-token"}, "accepted tenant token (KEY_TOKEN), a fake for local use; repeatable, each gets its own tenant")
	f.StringVar(&adminToken, "admin-token", "svc-admin-token", "platform token that may create tenants and see all tenants (a fake for local use; empty disables)")
	f.DurationVar(&latency, "latency", 0, "latency added to every API call")
	f.Float64Var(&failRate, "fail-rate", 0, "share of API calls that fail with result 1 (0-1)")
	f.Float64Var(&taskFailRate, "task-fail-rate", 0, "share of asynchronous tasks that end in failure (0-1)")
	f.DurationVar(&taskDuration, "task-duration", 1500*time.Millisecond, "how long an asynchronous operation takes")
	f.Int64Var(&seed, "seed", 1, "seed for ids, injected faults and generated values")
	f.StringVar(&populate, "populate", "", `demo data: "TENANTS" or "TENANTS/VMS" (e.g. 3/10); the --token tenants are filled first`)
	simCmd.AddCommand(cmd)
}

// parsePopulate reads "T", "T/V" or "TxV".
func parsePopulate(s string) (tenants, vms int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, nil
	}
	t, v, hasV := strings.Cut(strings.ReplaceAll(s, "x", "/"), "/")
	if tenants, err = strconv.Atoi(strings.TrimSpace(t)); err != nil || tenants < 0 {
		return 0, 0, fmt.Errorf("--populate %q: want TENANTS or TENANTS/VMS", s)
	}
	if hasV {
		if vms, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || vms < 0 {
			return 0, 0, fmt.Errorf("--populate %q: want TENANTS or TENANTS/VMS", s)
		}
	}
	return tenants, vms, nil
}
