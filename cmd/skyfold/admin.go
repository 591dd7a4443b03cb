package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/task"
)

func newAdminCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator commands that work on the database directly",
	}

	var newKey string
	rotate := &cobra.Command{
		Use:   "rotate-key",
		Short: "Re-encrypt every stored secret under a new master key",
		Long: `Generate a new master key (or take --new-key), re-encrypt every secret in the
database under it in one transaction, and replace the key file.

With a key file the rotation is crash-safe: the file first holds the new key
and the old one, and only after the database is re-encrypted the new key
alone. With SKYFOLD_MASTER_KEY, pass --new-key and afterwards set the variable
to the new key (the command prints nothing secret).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			res, err := app.RotateKey(cmd.Context(), cfg, newKey)
			if errors.Is(err, secret.ErrNewKeyRequired) {
				return fmt.Errorf("%w: pass --new-key", err)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "re-encrypted %d secrets: key %s replaced by key %s\n", res.Reencrypted, res.OldKeyID, res.NewKeyID)
			return err
		},
	}
	rotate.Flags().StringVar(&newKey, "new-key", "", "base64 AES-256 key to rotate to (default: generate one)")

	var probe task.ProbeParams
	probeCmd := &cobra.Command{
		Use:   "probe-task",
		Short: "Record a diagnostic task that a running server executes",
		Long: `Record a system.probe task: it walks through --stages stages, sleeping
--stage-ms in each, and logs which server ran each stage. A running server
picks it up within a few seconds; watch it with GET /api/v2/tasks/{id}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := probe.Validate(); err != nil {
				return err
			}
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			st, err := app.OpenStore(context.Background(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := task.NewService(st.DB, nil, task.Config{WorkerID: "cli"})
			svc.Register(task.ProbeDefinition())
			t, err := svc.Submit(context.Background(), task.Spec{Type: task.ProbeType, ObjectType: "system", Params: probe})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), t.ID)
			return err
		},
	}
	probeCmd.Flags().IntVar(&probe.Stages, "stages", 5, "number of stages (1-20)")
	probeCmd.Flags().IntVar(&probe.StageMS, "stage-ms", 1000, "milliseconds each stage sleeps")

	for _, c := range []*cobra.Command{rotate, probeCmd} {
		config.RegisterFlags(c.Flags())
		cmd.AddCommand(c)
	}
	return cmd
}

func init() { rootCmd.AddCommand(newAdminCmd()) }
