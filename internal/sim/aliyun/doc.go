// Package aliyunsim is an Alibaba Cloud simulator: a real HTTP server that speaks
// Aliyun's OpenAPI wire dialect so that Skyfold's Aliyun driver, built on the
// official SDKs, runs end to end against it over loopback.
//
// It owns the simulated accounts and everything in them: the region, zone,
// instance-type and image catalogs; VPCs, vSwitches, security groups, ECS
// instances with their disks, NICs and snapshots; EIPs; OSS buckets; RDS, Redis
// and Kafka instances; account balances and quotas; and the bills (BSS) and
// monitoring data (CMS) generated from them.
//
// # Wire
//
// One listener serves every product. RPC-style calls are routed by Action and
// Version (query or form parameters, or the x-acs-action/x-acs-version
// headers) and verified with signature v1 (HMAC-SHA1 over the canonicalised
// parameters, as the SDKs send with SignatureAlgorithm "v2") or
// ACS3-HMAC-SHA256 (the SDKs' default). Unknown keys get 404
// InvalidAccessKeyId.NotFound, bad signatures 400 SignatureDoesNotMatch,
// replayed nonces SignatureNonceUsed and stale timestamps
// InvalidTimeStamp.Expired; errors have Aliyun's JSON shape
// {"RequestId","HostId","Code","Message","Recommend"}. Signature timestamps are
// checked against the wall clock even when Config.Now is a test clock.
//
// OSS calls are recognised by their Authorization header and verified as OSS
// V1 ("OSS ak:signature") or V4 (OSS4-HMAC-SHA256, the v2 SDK's default);
// buckets are addressed path-style (the SDK's choice for an IP endpoint) or as
// <bucket>.localhost. A V1 request signs no region: its buckets go to the
// region of an "oss-<region>" Host label, else cn-hangzhou.
//
// # Behaviour
//
// Instance state moves over time (Pending → Starting → Running, Stopping →
// Stopped, one Config.StateDelay per step) without a background loop: each
// instance keeps its pending transitions and its status is computed from the
// clock when read. Lists are ordered by creation and indexed per account and
// region, so paging costs O(page) whatever the account holds; NextToken
// cursors point at the last item returned and survive deletions.
//
// Money is kept in micro-CNY. Pay-as-you-go resources accrue their hourly list
// price less the account's invoice discount while they run; subscriptions are
// paid when ordered. Bills are generated from the same records: per resource
// and Beijing day, list price (PretaxGrossAmount), InvoiceDiscount,
// DeductedByCoupons and PretaxAmount. Monitoring data is a pure function of
// resource id, metric and time: a daily shape peaking in the Beijing
// afternoon, with a configurable share of idle resources (CPU under 5 %,
// network under 1 kbit/s).
//
// State is kept in memory and, when Config.StateDir is set, snapshotted with
// gob, written atomically once changes have been quiet for a debounce
// interval (longer for a large state) and on Close, and reloaded by New. A
// create (Run*, Create*, Allocate*, …) is written before it is answered, so
// a kill right after the answer loses nothing the client was told of.
//
// The admin API under /_sim/ (JSON, loopback clients only) reports status,
// changes latency, rate limit, failure rate, state delay and idle share at run
// time, adds accounts, sets quotas and balances, resets, populates and dumps
// one kind of resource; see admin.go.
//
// Public IP addresses are drawn from 198.18.0.0/15, the range RFC 2544 sets
// aside for benchmarks, and endpoints the APIs report (RegionEndpoint, OSS
// endpoints) are the simulator's own address, so that nothing it hands out
// leads off the machine.
package aliyunsim
