package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/logging"
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

	for _, c := range []*cobra.Command{rotate, probeCmd, newResetPasswordCmd(), newUnlockCmd()} {
		config.RegisterFlags(c.Flags())
		cmd.AddCommand(c)
	}
	return cmd
}

func newResetPasswordCmd() *cobra.Command {
	var domain string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "reset-password USER",
		Short: "Set a new password for a user and revoke the user's tokens",
		Long: `Set a new password for USER (a user id, or a name in --domain) directly in the
database, for an operator who lost the admin password. Every token the user
holds is revoked (a running server refuses them within its refresh interval,
2s) and a lockout is cleared.

The new password is generated and printed once on standard output, or read
from the first line of standard input with --password-stdin. It is never
logged.`,
		Example: `  skyfold admin reset-password admin
  skyfold admin reset-password alice --domain acme --data-dir /var/lib/skyfold
  printf '%s\n' "$NEW_PASSWORD" | skyfold admin reset-password admin --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			req := app.PasswordReset{User: args[0], Domain: domain}
			if fromStdin {
				if req.Password, err = firstLine(cmd.InOrStdin()); err != nil {
					return err
				}
				if req.Password == "" {
					return errors.New("--password-stdin: the first line of standard input is empty")
				}
			}
			log := logging.New(cmd.ErrOrStderr(), cfg.LogFormat, cfg.LogLevel)
			res, err := app.ResetPassword(cmd.Context(), cfg, log, req)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if res.Generated {
				_, err = fmt.Fprintf(out, "new password of user %s (id %s, domain %s), shown only this once:\n%s\n", res.UserName, res.UserID, res.Domain, res.Password)
			} else {
				_, err = fmt.Fprintf(out, "password of user %s (id %s, domain %s) replaced\n", res.UserName, res.UserID, res.Domain)
			}
			if err == nil {
				_, err = fmt.Fprintln(out, "the user's earlier tokens are revoked")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "Default", "the user's domain, by name or id")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of standard input")
	return cmd
}

func newUnlockCmd() *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "unlock USER",
		Short: "Clear a user's lockout after failed logins",
		Long: `Clear the lockout of USER (a user id, or a name in --domain) that failed
password logins caused (see --lockout-failures), so that the user may log in
again at once. The password and tokens stay as they are.`,
		Example: `  skyfold admin unlock alice --domain acme`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := logging.New(cmd.ErrOrStderr(), cfg.LogFormat, cfg.LogLevel)
			id, err := app.UnlockUser(cmd.Context(), cfg, log, args[0], domain)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "user %s (id %s) unlocked\n", args[0], id)
			return err
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "Default", "the user's domain, by name or id")
	return cmd
}

// firstLine reads one line, without its line ending.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func init() { rootCmd.AddCommand(newAdminCmd()) }
