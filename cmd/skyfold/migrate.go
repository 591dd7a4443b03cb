package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/store"
)

func newMigrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply or inspect database migrations",
		Long: `Skyfold applies its migrations at start; these commands do it by hand, for
example before rolling out a new version to several servers.`,
	}
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration (Skyfold's tables and the job queue's)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			st, err := app.OpenStore(context.Background(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "migrations applied on %s (%s)\n", st.Kind, config.MaskDSN(st.DSN()))
			return err
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "List migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			st, err := store.Open(context.Background(), cfg.EffectiveDB())
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.MigrationStatus(context.Background())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "VERSION\tSTATE\tAPPLIED AT\tFILE\n")
			for _, m := range list {
				state, at := "pending", ""
				if m.Applied {
					state, at = "applied", m.AppliedAt.UTC().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", m.Version, state, at, m.Source)
			}
			return w.Flush()
		},
	}
	for _, c := range []*cobra.Command{up, status} {
		config.RegisterFlags(c.Flags())
		cmd.AddCommand(c)
	}
	return cmd
}

func init() { rootCmd.AddCommand(newMigrateCmd()) }
