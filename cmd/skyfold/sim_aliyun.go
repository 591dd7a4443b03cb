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
	"syscall"
	"time"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/spf13/cobra"
)

// The documented fake key pair the Aliyun simulator accepts by default.
const (
	simAliyunDefaultAccessKeyID     = "LTAI5tEXAMPLEKEYID00001"
	simAliyunDefaultAccessKeySecret = "EXAMPLEsecretEXAMPLEsecret0001"
	simAliyunDefaultAccountID       = "1423762516458388"
)

func init() {
	var (
		listen, stateDir, akID, akSecret, accountID string
		latency                                     time.Duration
		rateLimit, failRate                         float64
		populate                                    int
		seed                                        int64
	)
	cmd := &cobra.Command{
		Use:   "aliyun",
		Short: "Run an Alibaba Cloud simulator (ECS, VPC, BSS, CMS, STS, RDS, Redis, Kafka, OSS)",
		Long: `Run an HTTP server that speaks Alibaba Cloud's OpenAPI dialect (RPC signature v1
and ACS3-HMAC-SHA256, OSS V1/V4) for ECS, VPC, BSS OpenAPI, CloudMonitor, STS,
RDS, R-KVStore, Kafka and OSS on one listener. Point an SDK client at it with
Endpoint set to the listen address and Protocol "http".

The admin API under /_sim/ (loopback only) changes latency, throttling and
failure injection at run time, adds accounts, sets quotas and populates data.

Example:
  skyfold sim aliyun --listen 127.0.0.1:8701 --state-dir ./sim-aliyun --populate 1000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			srv, err := aliyunsim.New(aliyunsim.Config{
				StateDir:  stateDir,
				Accounts:  []aliyunsim.Account{{AccessKeyID: akID, AccessKeySecret: akSecret, AccountID: accountID, Name: "simulated"}},
				Latency:   latency,
				RateLimit: rateLimit,
				FailRate:  failRate,
				Seed:      seed,
				Logger:    log,
			})
			if err != nil {
				return fmt.Errorf("start aliyun simulator: %w", err)
			}
			defer func() {
				if err := srv.Close(); err != nil {
					log.Error("aliyun simulator: close", "err", err)
				}
			}()
			if populate > 0 {
				start := time.Now()
				if err := srv.Populate(akID, aliyunsim.PopulateOptions{Instances: populate, IdleShare: 0.2,
					Buckets: 10, DBs: 6, Caches: 6, Kafkas: 2}); err != nil {
					return fmt.Errorf("populate: %w", err)
				}
				log.Info("aliyun simulator populated", "instances", populate, "took", time.Since(start).Round(time.Millisecond))
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", listen, err)
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			fmt.Fprintf(cmd.OutOrStdout(), "aliyun simulator listening on %s (access key %s)\n", ln.Addr(), akID)
			select {
			case err := <-errc:
				if !errors.Is(err, http.ErrServerClosed) {
					return fmt.Errorf("serve: %w", err)
				}
				return nil
			case <-ctx.Done():
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := hs.Shutdown(shutdownCtx); err != nil {
				return fmt.Errorf("shut down: %w", err)
			}
			<-errc
			fmt.Fprintln(cmd.OutOrStdout(), "aliyun simulator stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8701", "address to listen on (keep it on loopback)")
	f.StringVar(&stateDir, "state-dir", "", "directory to persist state in; empty keeps state in memory")
	f.StringVar(&akID, "access-key-id", simAliyunDefaultAccessKeyID, "access key id the simulator accepts (a documented fake by default)")
	f.StringVar(&akSecret, "access-key-secret", simAliyunDefaultAccessKeySecret, "access key secret the simulator accepts")
	f.StringVar(&accountID, "account-id", simAliyunDefaultAccountID, "Aliyun account UID of the simulated account")
	f.DurationVar(&latency, "latency", 0, "latency added to every API call")
	f.Float64Var(&rateLimit, "rate-limit", 0, "API requests per second per access key (0 = unlimited); beyond it calls fail with Throttling.User")
	f.Float64Var(&failRate, "fail-rate", 0, "share (0..1) of calls that fail with ServiceUnavailable")
	f.IntVar(&populate, "populate", 0, "instances to create on start (with networks, buckets, databases, caches)")
	f.Int64Var(&seed, "seed", 1, "randomness seed")
	simCmd.AddCommand(cmd)
}
