package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/logging"
)

// loadConfig reads the configuration for a command that registered the
// configuration flags.
func loadConfig(cmd *cobra.Command) (config.Config, error) {
	return config.Load(cmd.Flags(), os.Getenv)
}

func newServeCmd() *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Skyfold server",
		Long: `Run the Skyfold server: the HTTP API faces, the durable task workers and the
periodic jobs. Configuration comes from flags, then SKYFOLD_* environment
variables, then the YAML file named by --config, then defaults.

With no --db the embedded SQLite database in --data-dir is used; point --db at
postgres://… to use PostgreSQL. Several servers may share one PostgreSQL and
then share its task queue.`,
		Example: `  skyfold serve
  skyfold serve --listen 127.0.0.1:9090 --data-dir /var/lib/skyfold
  skyfold serve --db postgres://skyfold@127.0.0.1:5432/skyfold
  skyfold serve --print-config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if printConfig {
				_, err := fmt.Fprint(cmd.OutOrStdout(), cfg.Masked())
				return err
			}
			log := logging.New(cmd.ErrOrStderr(), cfg.LogFormat, cfg.LogLevel)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			a, err := app.New(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Run(ctx)
		},
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration (secrets masked) and exit")
	return cmd
}

func init() { rootCmd.AddCommand(newServeCmd()) }
