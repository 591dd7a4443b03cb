// Package cluster owns elastic clusters, the domain behind the BridgX face
// (/api/v1): cluster templates (an account, a region and zone, an instance
// type, an image, network, disk and charge settings), the expand and shrink
// engines that run as durable tasks, the instances they made, the running
// intervals those instances accrued (for usage and cost), the network
// operations BridgX offers (VPCs, subnets, security groups) and a cached
// catalog of regions, zones, instance types and images per provider.
//
// # Expand
//
// An expand task splits the missing count into batches no larger than the
// provider's create limit (100 on Aliyun) and creates them concurrently,
// within a bound and through one client-side rate limiter per account. Each
// batch carries a deterministic client token, so a batch that is sent again
// after a crash, a lost answer or a retry returns the instances of the first
// send and creates none. Instances are tagged with the cluster and the task
// and recorded the moment the cloud names them; the task then waits until
// each runs with its addresses, deletes those that never get there, and, in
// up to MaxRounds rounds, replaces instances that failed to become ready or
// batches that failed transiently. Before counting, instances the cloud holds
// under the task's tag but Skyfold has not recorded are adopted, and any
// excess is deleted, so the final count is exact. Quota and balance errors
// are kept per batch with the cloud's code, message and request id; a task
// that got some but not all instances ends PARTIAL_SUCCESS.
//
// Every step records its progress in the store before it moves on, and every
// cloud call is idempotent or reconciled, so a task interrupted by a crash
// resumes where it stopped, in another process or after a restart.
//
// # Shrink
//
// A shrink task takes instances by IP list or by count (failed and
// not-yet-running instances first, then the newest), asks the cloud which of
// them still exist, marks those it no longer has as deleted, and deletes the
// rest in batches. Prepaid clusters cannot shrink.
//
// # Usage
//
// An instance accrues a running interval from the moment it is seen running
// until it is deleted. The usage of a day is the overlap of those intervals
// with the day (in the configured time zone), and its cost is that time
// priced at the hourly list price the catalog gave when the interval opened.
package cluster
