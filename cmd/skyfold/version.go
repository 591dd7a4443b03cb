package main

import (
	"fmt"
	"runtime"

	"github.com/skyfold/skyfold/internal/buildinfo"
	"github.com/spf13/cobra"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "skyfold %s (commit %s, %s)\n", buildinfo.Version, buildinfo.Commit, runtime.Version())
			return err
		},
	})
}
