// Command skyfold is the one Skyfold binary: the server, its migrations, admin
// tasks, cloud simulators and client commands. This package only wires flags to
// the packages under internal/.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:   "skyfold",
	Short: "Multi-cloud management and FinOps platform",
	Long: `Skyfold connects cloud accounts, keeps their inventory in sync, runs elastic
clusters, rates usage and turns cost into FinOps reports, for many tenants.

Start the server with "skyfold serve"; see "skyfold serve --help" for its flags.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "skyfold:", err)
		os.Exit(1)
	}
}
