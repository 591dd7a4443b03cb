package cloud

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"

	"github.com/skyfold/skyfold/internal/errs"
)

// RetryPolicy says how WithRetry retries and paces calls.
type RetryPolicy struct {
	// MaxAttempts is the number of tries per call, first included (default 6).
	MaxAttempts int
	// BaseDelay is the backoff before the first retry (default 200ms); it
	// doubles each retry, with full jitter, up to MaxDelay (default 10s).
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter caps how long a throttle hint can make us wait (default 60s).
	MaxRetryAfter time.Duration
	// Rate and Burst pace every attempt on the account, client side, so one
	// account never floods its cloud. Rate 0 means no client-side limit.
	Rate  rate.Limit
	Burst int
	// Logger receives one debug line per retry; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultRetryPolicy is what Skyfold uses for cloud accounts: 6 tries,
// 200ms doubling to 10s, and 20 requests per second per account.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 6, BaseDelay: 200 * time.Millisecond,
	MaxDelay: 10 * time.Second, MaxRetryAfter: time.Minute, Rate: 20, Burst: 20}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 6
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = time.Minute
	}
	if p.Burst <= 0 {
		p.Burst = 1
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	return p
}

// Backoff returns the jittered delay before retry number n (1-based) when
// the failed attempt carried the throttle hint hint (0 if none).
func (p RetryPolicy) Backoff(n int, hint time.Duration) time.Duration {
	p = p.withDefaults()
	ceil := p.BaseDelay
	for i := 1; i < n && ceil < p.MaxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, p.MaxDelay)
	// Full jitter, but never less than half the ceiling so a retry storm
	// still spreads out.
	d := ceil/2 + time.Duration(rand.Int64N(int64(ceil/2)+1))
	if hint > 0 {
		d = max(d, min(hint, p.MaxRetryAfter))
	}
	return d
}

// Retryable is the one verdict on whether a failed call may succeed when
// sent again unchanged: the cloud throttled it or failed transiently (a 5xx,
// a reset connection). Refusals the caller must act on — credential,
// permission, parameter, quota, balance, shortage, conflict, not found, not
// supported, an unclassified provider error — are permanent, and so is a
// cancelled or expired context. An error that is no cloud error counts as
// transient only when it is a domain error saying so (unavailable or
// throttled).
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch Kind(err) {
	case ErrThrottled, ErrUnavailable:
		return true
	case nil:
		c := errs.CodeOf(err)
		return c == errs.Unavailable || c == errs.Throttled
	}
	return false
}

// callMode says which failures of a call may be retried.
type callMode int

const (
	idempotent callMode = iota // reads and state changes that converge
	create                     // retried only with a client token
	remove                     // deletes: ErrNotFound after a failed try means done
)

// retrier holds the policy and the per-account limiter.
type retrier struct {
	policy  RetryPolicy
	limiter pacer // nil: no pacing
}

// pacer is what call waits on before each attempt (a *rate.Limiter; tests
// count the waits).
type pacer interface {
	Wait(ctx context.Context) error
}

// call runs fn under the policy.
func call[T any](ctx context.Context, r *retrier, op string, mode callMode, token string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	attempts := r.policy.MaxAttempts
	if mode == create && token == "" {
		attempts = 1
	}
	var lastErr error
	for n := 1; ; n++ {
		if r.limiter != nil {
			if err := r.limiter.Wait(ctx); err != nil {
				if lastErr != nil {
					return zero, errors.Join(err, lastErr)
				}
				return zero, err
			}
		} else if err := ctx.Err(); err != nil {
			return zero, err
		}
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		if mode == remove && n > 1 && errors.Is(err, ErrNotFound) {
			return zero, nil // an earlier try went through; its answer was lost
		}
		if n >= attempts || !Retryable(err) {
			return v, err
		}
		lastErr = err
		d := r.policy.Backoff(n, RetryAfter(err))
		r.policy.Logger.DebugContext(ctx, "cloud: retrying", "op", op, "attempt", n, "delay", d,
			"request_id", RequestID(err), "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, errors.Join(ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

func do(ctx context.Context, r *retrier, op string, mode callMode, fn func(context.Context) error) error {
	_, err := call(ctx, r, op, mode, "", func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// WithRetry wraps p so every call retries throttled and transient failures
// with jittered exponential backoff, honours the cloud's throttle hint,
// stops when ctx is done, and paces attempts with one client-side rate
// limiter for the account. Creates are retried only when they carry a
// client (idempotency) token; deletes treat "not found" after a failed try
// as success.
func WithRetry(p Provider, policy RetryPolicy) Provider {
	policy = policy.withDefaults()
	r := &retrier{policy: policy}
	if policy.Rate > 0 {
		r.limiter = rate.NewLimiter(policy.Rate, policy.Burst)
	}
	return &retryProvider{inner: p, r: r}
}

// Unwrap returns the provider a wrapper (such as WithRetry's) wraps, or nil.
func Unwrap(p Provider) Provider {
	if w, ok := p.(interface{ Unwrap() Provider }); ok {
		return w.Unwrap()
	}
	return nil
}

type retryProvider struct {
	inner Provider
	r     *retrier
}

func (p *retryProvider) Unwrap() Provider           { return p.inner }
func (p *retryProvider) Name() string               { return p.inner.Name() }
func (p *retryProvider) Capabilities() Capabilities { return p.inner.Capabilities() }
func (p *retryProvider) Close() error               { return p.inner.Close() }

func (p *retryProvider) ValidateCredentials(ctx context.Context) error {
	return do(ctx, p.r, "ValidateCredentials", idempotent, p.inner.ValidateCredentials)
}

func (p *retryProvider) Account(ctx context.Context) (Account, error) {
	return call(ctx, p.r, "Account", idempotent, "", p.inner.Account)
}

func (p *retryProvider) SubAccounts(ctx context.Context) ([]SubAccount, error) {
	return call(ctx, p.r, "SubAccounts", idempotent, "", p.inner.SubAccounts)
}

func (p *retryProvider) Balance(ctx context.Context) (Balance, error) {
	return call(ctx, p.r, "Balance", idempotent, "", p.inner.Balance)
}

func (p *retryProvider) Bills(ctx context.Context, q BillQuery, page PageRequest) (Page[BillLine], error) {
	return call(ctx, p.r, "Bills", idempotent, "", func(ctx context.Context) (Page[BillLine], error) {
		return p.inner.Bills(ctx, q, page)
	})
}

func (p *retryProvider) Regions(ctx context.Context) ([]Region, error) {
	return call(ctx, p.r, "Regions", idempotent, "", p.inner.Regions)
}

func (p *retryProvider) Region(id string) (RegionClient, error) {
	rc, err := p.inner.Region(id)
	if err != nil {
		return nil, err
	}
	return &retryRegion{inner: rc, r: p.r}, nil
}

type retryRegion struct {
	inner RegionClient
	r     *retrier
}

func (g *retryRegion) RegionID() string { return g.inner.RegionID() }

func (g *retryRegion) Zones(ctx context.Context) ([]Zone, error) {
	return call(ctx, g.r, "Zones", idempotent, "", g.inner.Zones)
}

func (g *retryRegion) InstanceTypes(ctx context.Context) ([]InstanceType, error) {
	return call(ctx, g.r, "InstanceTypes", idempotent, "", g.inner.InstanceTypes)
}

func (g *retryRegion) Images(ctx context.Context, q ImageQuery, page PageRequest) (Page[Image], error) {
	return call(ctx, g.r, "Images", idempotent, "", func(ctx context.Context) (Page[Image], error) {
		return g.inner.Images(ctx, q, page)
	})
}

func (g *retryRegion) CreateVPC(ctx context.Context, spec VPCSpec) (VPC, error) {
	return call(ctx, g.r, "CreateVPC", create, spec.ClientToken, func(ctx context.Context) (VPC, error) {
		return g.inner.CreateVPC(ctx, spec)
	})
}

func (g *retryRegion) DeleteVPC(ctx context.Context, id string) error {
	return do(ctx, g.r, "DeleteVPC", remove, func(ctx context.Context) error { return g.inner.DeleteVPC(ctx, id) })
}

func (g *retryRegion) GetVPC(ctx context.Context, id string) (VPC, error) {
	return call(ctx, g.r, "GetVPC", idempotent, "", func(ctx context.Context) (VPC, error) {
		return g.inner.GetVPC(ctx, id)
	})
}

func (g *retryRegion) ListVPCs(ctx context.Context, page PageRequest) (Page[VPC], error) {
	return call(ctx, g.r, "ListVPCs", idempotent, "", func(ctx context.Context) (Page[VPC], error) {
		return g.inner.ListVPCs(ctx, page)
	})
}

func (g *retryRegion) CreateSubnet(ctx context.Context, spec SubnetSpec) (Subnet, error) {
	return call(ctx, g.r, "CreateSubnet", create, spec.ClientToken, func(ctx context.Context) (Subnet, error) {
		return g.inner.CreateSubnet(ctx, spec)
	})
}

func (g *retryRegion) DeleteSubnet(ctx context.Context, id string) error {
	return do(ctx, g.r, "DeleteSubnet", remove, func(ctx context.Context) error { return g.inner.DeleteSubnet(ctx, id) })
}

func (g *retryRegion) GetSubnet(ctx context.Context, id string) (Subnet, error) {
	return call(ctx, g.r, "GetSubnet", idempotent, "", func(ctx context.Context) (Subnet, error) {
		return g.inner.GetSubnet(ctx, id)
	})
}

func (g *retryRegion) ListSubnets(ctx context.Context, q SubnetQuery, page PageRequest) (Page[Subnet], error) {
	return call(ctx, g.r, "ListSubnets", idempotent, "", func(ctx context.Context) (Page[Subnet], error) {
		return g.inner.ListSubnets(ctx, q, page)
	})
}

func (g *retryRegion) CreateSecurityGroup(ctx context.Context, spec SecurityGroupSpec) (SecurityGroup, error) {
	return call(ctx, g.r, "CreateSecurityGroup", create, spec.ClientToken, func(ctx context.Context) (SecurityGroup, error) {
		return g.inner.CreateSecurityGroup(ctx, spec)
	})
}

func (g *retryRegion) DeleteSecurityGroup(ctx context.Context, id string) error {
	return do(ctx, g.r, "DeleteSecurityGroup", remove, func(ctx context.Context) error {
		return g.inner.DeleteSecurityGroup(ctx, id)
	})
}

func (g *retryRegion) GetSecurityGroup(ctx context.Context, id string) (SecurityGroup, error) {
	return call(ctx, g.r, "GetSecurityGroup", idempotent, "", func(ctx context.Context) (SecurityGroup, error) {
		return g.inner.GetSecurityGroup(ctx, id)
	})
}

func (g *retryRegion) ListSecurityGroups(ctx context.Context, q SecurityGroupQuery, page PageRequest) (Page[SecurityGroup], error) {
	return call(ctx, g.r, "ListSecurityGroups", idempotent, "", func(ctx context.Context) (Page[SecurityGroup], error) {
		return g.inner.ListSecurityGroups(ctx, q, page)
	})
}

// AuthorizeRules is idempotent by contract: an existing rule is a no-op.
func (g *retryRegion) AuthorizeRules(ctx context.Context, groupID string, rules []SecurityGroupRule) error {
	return do(ctx, g.r, "AuthorizeRules", idempotent, func(ctx context.Context) error {
		return g.inner.AuthorizeRules(ctx, groupID, rules)
	})
}

// RevokeRules is idempotent by contract: a missing rule is ignored.
func (g *retryRegion) RevokeRules(ctx context.Context, groupID string, rules []SecurityGroupRule) error {
	return do(ctx, g.r, "RevokeRules", idempotent, func(ctx context.Context) error {
		return g.inner.RevokeRules(ctx, groupID, rules)
	})
}

func (g *retryRegion) CreateInstances(ctx context.Context, req CreateInstancesRequest) (CreateInstancesResult, error) {
	token := req.ClientToken
	if req.DryRun {
		token = "dry-run" // a dry run creates nothing, so it is safe to repeat
	}
	return call(ctx, g.r, "CreateInstances", create, token, func(ctx context.Context) (CreateInstancesResult, error) {
		return g.inner.CreateInstances(ctx, req)
	})
}

func (g *retryRegion) GetInstance(ctx context.Context, id string) (Instance, error) {
	return call(ctx, g.r, "GetInstance", idempotent, "", func(ctx context.Context) (Instance, error) {
		return g.inner.GetInstance(ctx, id)
	})
}

func (g *retryRegion) ListInstances(ctx context.Context, q InstanceQuery, page PageRequest) (Page[Instance], error) {
	return call(ctx, g.r, "ListInstances", idempotent, "", func(ctx context.Context) (Page[Instance], error) {
		return g.inner.ListInstances(ctx, q, page)
	})
}

func (g *retryRegion) StartInstances(ctx context.Context, ids []string) error {
	return do(ctx, g.r, "StartInstances", idempotent, func(ctx context.Context) error {
		return g.inner.StartInstances(ctx, ids)
	})
}

func (g *retryRegion) StopInstances(ctx context.Context, ids []string, force bool) error {
	return do(ctx, g.r, "StopInstances", idempotent, func(ctx context.Context) error {
		return g.inner.StopInstances(ctx, ids, force)
	})
}

func (g *retryRegion) RebootInstances(ctx context.Context, ids []string, force bool) error {
	return do(ctx, g.r, "RebootInstances", idempotent, func(ctx context.Context) error {
		return g.inner.RebootInstances(ctx, ids, force)
	})
}

func (g *retryRegion) DeleteInstances(ctx context.Context, ids []string, force bool) error {
	return do(ctx, g.r, "DeleteInstances", remove, func(ctx context.Context) error {
		return g.inner.DeleteInstances(ctx, ids, force)
	})
}

func (g *retryRegion) ChangeInstanceType(ctx context.Context, id, instanceType string) error {
	return do(ctx, g.r, "ChangeInstanceType", idempotent, func(ctx context.Context) error {
		return g.inner.ChangeInstanceType(ctx, id, instanceType)
	})
}

func (g *retryRegion) ListDisks(ctx context.Context, q DiskQuery, page PageRequest) (Page[Disk], error) {
	return call(ctx, g.r, "ListDisks", idempotent, "", func(ctx context.Context) (Page[Disk], error) {
		return g.inner.ListDisks(ctx, q, page)
	})
}

func (g *retryRegion) CreateSnapshot(ctx context.Context, spec SnapshotSpec) (Snapshot, error) {
	return call(ctx, g.r, "CreateSnapshot", create, spec.ClientToken, func(ctx context.Context) (Snapshot, error) {
		return g.inner.CreateSnapshot(ctx, spec)
	})
}

func (g *retryRegion) DeleteSnapshot(ctx context.Context, id string) error {
	return do(ctx, g.r, "DeleteSnapshot", remove, func(ctx context.Context) error { return g.inner.DeleteSnapshot(ctx, id) })
}

func (g *retryRegion) ListSnapshots(ctx context.Context, q SnapshotQuery, page PageRequest) (Page[Snapshot], error) {
	return call(ctx, g.r, "ListSnapshots", idempotent, "", func(ctx context.Context) (Page[Snapshot], error) {
		return g.inner.ListSnapshots(ctx, q, page)
	})
}

func (g *retryRegion) AllocateEIP(ctx context.Context, spec EIPSpec) (EIP, error) {
	return call(ctx, g.r, "AllocateEIP", create, spec.ClientToken, func(ctx context.Context) (EIP, error) {
		return g.inner.AllocateEIP(ctx, spec)
	})
}

func (g *retryRegion) ReleaseEIP(ctx context.Context, id string) error {
	return do(ctx, g.r, "ReleaseEIP", remove, func(ctx context.Context) error { return g.inner.ReleaseEIP(ctx, id) })
}

func (g *retryRegion) ListEIPs(ctx context.Context, page PageRequest) (Page[EIP], error) {
	return call(ctx, g.r, "ListEIPs", idempotent, "", func(ctx context.Context) (Page[EIP], error) {
		return g.inner.ListEIPs(ctx, page)
	})
}

// CreateBucket is retried: a bucket name is its own idempotency key (a
// second create of one's own bucket is answered "already exists").
func (g *retryRegion) CreateBucket(ctx context.Context, spec BucketSpec) (Bucket, error) {
	return call(ctx, g.r, "CreateBucket", create, spec.Name, func(ctx context.Context) (Bucket, error) {
		return g.inner.CreateBucket(ctx, spec)
	})
}

func (g *retryRegion) DeleteBucket(ctx context.Context, name string) error {
	return do(ctx, g.r, "DeleteBucket", remove, func(ctx context.Context) error { return g.inner.DeleteBucket(ctx, name) })
}

func (g *retryRegion) ListBuckets(ctx context.Context) ([]Bucket, error) {
	return call(ctx, g.r, "ListBuckets", idempotent, "", g.inner.ListBuckets)
}

func (g *retryRegion) BucketStats(ctx context.Context, name string) (BucketStats, error) {
	return call(ctx, g.r, "BucketStats", idempotent, "", func(ctx context.Context) (BucketStats, error) {
		return g.inner.BucketStats(ctx, name)
	})
}

func (g *retryRegion) ListDatabases(ctx context.Context, page PageRequest) (Page[Database], error) {
	return call(ctx, g.r, "ListDatabases", idempotent, "", func(ctx context.Context) (Page[Database], error) {
		return g.inner.ListDatabases(ctx, page)
	})
}

func (g *retryRegion) GetDatabase(ctx context.Context, id string) (Database, error) {
	return call(ctx, g.r, "GetDatabase", idempotent, "", func(ctx context.Context) (Database, error) {
		return g.inner.GetDatabase(ctx, id)
	})
}

func (g *retryRegion) ListCaches(ctx context.Context, page PageRequest) (Page[Cache], error) {
	return call(ctx, g.r, "ListCaches", idempotent, "", func(ctx context.Context) (Page[Cache], error) {
		return g.inner.ListCaches(ctx, page)
	})
}

func (g *retryRegion) GetCache(ctx context.Context, id string) (Cache, error) {
	return call(ctx, g.r, "GetCache", idempotent, "", func(ctx context.Context) (Cache, error) {
		return g.inner.GetCache(ctx, id)
	})
}

func (g *retryRegion) ListKafkas(ctx context.Context, page PageRequest) (Page[Kafka], error) {
	return call(ctx, g.r, "ListKafkas", idempotent, "", func(ctx context.Context) (Page[Kafka], error) {
		return g.inner.ListKafkas(ctx, page)
	})
}

func (g *retryRegion) GetKafka(ctx context.Context, id string) (Kafka, error) {
	return call(ctx, g.r, "GetKafka", idempotent, "", func(ctx context.Context) (Kafka, error) {
		return g.inner.GetKafka(ctx, id)
	})
}

func (g *retryRegion) Metrics(ctx context.Context, q MetricQuery) ([]MetricSeries, error) {
	return call(ctx, g.r, "Metrics", idempotent, "", func(ctx context.Context) ([]MetricSeries, error) {
		return g.inner.Metrics(ctx, q)
	})
}

var (
	_ Provider     = (*retryProvider)(nil)
	_ RegionClient = (*retryRegion)(nil)
)
