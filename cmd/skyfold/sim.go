package main

import "github.com/spf13/cobra"

// simCmd groups the cloud simulators; each simulator adds itself in its own file.
var simCmd = &cobra.Command{
	Use:   "sim",
	Short: "Run a cloud simulator that speaks a real cloud's wire protocol",
	Long: `Simulators are real HTTP servers that speak a cloud's own API dialect, keep
their state on disk and can be told to add latency, throttle or fail. Skyfold's
real drivers talk to them exactly as they would to the cloud.`,
}

func init() { rootCmd.AddCommand(simCmd) }
