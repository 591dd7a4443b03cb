package cloud

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// countingPacer counts the waits of the retry wrapper, one per attempt.
type countingPacer struct {
	mu    sync.Mutex
	waits int
}

func (c *countingPacer) Wait(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits++
	return ctx.Err()
}

func (c *countingPacer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waits
}

// capCloud implements every capability; each operation fails its first
// call with ErrUnavailable and succeeds after.
type capCloud struct {
	NotSupportedRegion
	mu    sync.Mutex
	calls map[string]int
}

func (c *capCloud) RegionID() string { return "r1" }

func (c *capCloud) hit(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
	if c.calls[op] == 1 {
		return &Error{Kind: ErrUnavailable, Provider: "Fake", Op: op, Message: "try again"}
	}
	return nil
}

func (c *capCloud) n(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

func (c *capCloud) Hosts(context.Context) ([]Host, error)       { return []Host{{ID: "h"}}, c.hit("Hosts") }
func (c *capCloud) Storages(context.Context) ([]Storage, error) { return nil, c.hit("Storages") }
func (c *capCloud) Quota(context.Context) (Quota, error)        { return Quota{CPU: 8}, c.hit("Quota") }
func (c *capCloud) Backups(context.Context, string) ([]VMCopy, error) {
	return nil, c.hit("Backups")
}
func (c *capCloud) CreateBackup(context.Context, string, string, string) (VMCopy, error) {
	return VMCopy{}, c.hit("CreateBackup")
}
func (c *capCloud) RestoreBackup(context.Context, string) error { return c.hit("RestoreBackup") }
func (c *capCloud) DeleteBackup(context.Context, string) error  { return c.hit("DeleteBackup") }
func (c *capCloud) VMSnapshots(context.Context, string) ([]VMCopy, error) {
	return nil, c.hit("VMSnapshots")
}
func (c *capCloud) CreateVMSnapshot(context.Context, string, string, string) (VMCopy, error) {
	return VMCopy{}, c.hit("CreateVMSnapshot")
}
func (c *capCloud) RestoreSnapshot(context.Context, string) error { return c.hit("RestoreSnapshot") }
func (c *capCloud) Console(context.Context, string) (ConsoleAccess, error) {
	return ConsoleAccess{Protocol: "vnc"}, c.hit("Console")
}
func (c *capCloud) ResizeCPU(context.Context, string, int) error    { return c.hit("ResizeCPU") }
func (c *capCloud) ResizeMemory(context.Context, string, int) error { return c.hit("ResizeMemory") }
func (c *capCloud) ShapeType(cpus, mem int) string                  { return "shape" }
func (c *capCloud) SetAdminPassword(context.Context, string, string, string) error {
	return c.hit("SetAdminPassword")
}
func (c *capCloud) ModifyInstance(context.Context, string, string, string) error {
	return c.hit("ModifyInstance")
}
func (c *capCloud) NICs(context.Context, string) ([]NIC, error) { return nil, c.hit("NICs") }
func (c *capCloud) AddNIC(context.Context, string, string) (string, error) {
	return "", c.hit("AddNIC")
}
func (c *capCloud) AddDisk(context.Context, string, int, string) (Disk, error) {
	return Disk{}, c.hit("AddDisk")
}
func (c *capCloud) ExtendDisk(context.Context, string, int) error { return c.hit("ExtendDisk") }
func (c *capCloud) DeleteDisk(context.Context, string) error      { return c.hit("DeleteDisk") }
func (c *capCloud) DeletesVMChildren()                            {}

// capProvider is a provider whose region is a capCloud; it offers the
// platform-wide capabilities itself too.
type capProvider struct {
	NotSupportedProvider
	c *capCloud
}

func (p capProvider) Name() string                              { return "Fake" }
func (p capProvider) Capabilities() Capabilities                { return nil }
func (p capProvider) ValidateCredentials(context.Context) error { return nil }
func (p capProvider) Account(context.Context) (Account, error)  { return Account{}, nil }
func (p capProvider) Regions(context.Context) ([]Region, error) { return nil, nil }
func (p capProvider) Region(string) (RegionClient, error)       { return p.c, nil }
func (p capProvider) Close() error                              { return nil }
func (p capProvider) Hosts(ctx context.Context) ([]Host, error) { return p.c.Hosts(ctx) }
func (p capProvider) Storages(ctx context.Context) ([]Storage, error) {
	return p.c.Storages(ctx)
}
func (p capProvider) Quota(ctx context.Context) (Quota, error) { return p.c.Quota(ctx) }

func must[T any](t *testing.T, v any) T {
	t.Helper()
	c, ok := As[T](v)
	if !ok {
		var zero *T
		t.Fatalf("As[%T] found nothing behind WithRetry", zero)
	}
	return c
}

// TestCapabilitiesArePaced calls every capability through WithRetry: each
// attempt waits on the account's limiter, a transient failure is retried
// (except by creates, which carry no client token), and the paced count
// matches the calls the cloud saw.
func TestCapabilitiesArePaced(t *testing.T) {
	cc := &capCloud{}
	policy := RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	wp := WithRetry(capProvider{c: cc}, policy)
	pacer := &countingPacer{}
	wp.(*retryProvider).r.limiter = pacer
	rc, err := wp.Region("r1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err1 := func(_ any, err error) error { return err }
	cases := []struct {
		op     string
		call   func() error
		create bool // tried once: a transient failure is returned
	}{
		{"Hosts", func() error { return err1(must[Hosts](t, wp).Hosts(ctx)) }, false},
		{"Storages", func() error { return err1(must[Hosts](t, rc).Storages(ctx)) }, false},
		{"Quota", func() error { return err1(must[Quotas](t, wp).Quota(ctx)) }, false},
		{"Backups", func() error { return err1(must[Backups](t, rc).Backups(ctx, "vm")) }, false},
		{"CreateBackup", func() error { return err1(must[Backups](t, rc).CreateBackup(ctx, "vm", "b", "")) }, true},
		{"RestoreBackup", func() error { return must[Backups](t, rc).RestoreBackup(ctx, "b") }, false},
		{"DeleteBackup", func() error { return must[Backups](t, rc).DeleteBackup(ctx, "b") }, false},
		{"VMSnapshots", func() error { return err1(must[VMSnapshots](t, rc).VMSnapshots(ctx, "vm")) }, false},
		{"CreateVMSnapshot", func() error { return err1(must[VMSnapshots](t, rc).CreateVMSnapshot(ctx, "vm", "s", "")) }, true},
		{"RestoreSnapshot", func() error { return must[VMSnapshots](t, rc).RestoreSnapshot(ctx, "s") }, false},
		{"Console", func() error { return err1(must[Console](t, rc).Console(ctx, "vm")) }, false},
		{"ResizeCPU", func() error { return must[Resizer](t, rc).ResizeCPU(ctx, "vm", 2) }, false},
		{"ResizeMemory", func() error { return must[Resizer](t, rc).ResizeMemory(ctx, "vm", 2048) }, false},
		{"SetAdminPassword", func() error { return must[Passwords](t, rc).SetAdminPassword(ctx, "vm", "", "pw") }, false},
		{"ModifyInstance", func() error { return must[InstanceEditor](t, rc).ModifyInstance(ctx, "vm", "n", "") }, false},
		{"NICs", func() error { return err1(must[NICs](t, rc).NICs(ctx, "vm")) }, false},
		{"AddNIC", func() error { return err1(must[NICs](t, rc).AddNIC(ctx, "vm", "net")) }, true},
		{"AddDisk", func() error { return err1(must[DiskOps](t, rc).AddDisk(ctx, "vm", 10, "")) }, true},
		{"ExtendDisk", func() error { return must[DiskOps](t, rc).ExtendDisk(ctx, "d", 20) }, false},
		{"DeleteDisk", func() error { return must[DiskOps](t, rc).DeleteDisk(ctx, "d") }, false},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			before := pacer.count()
			err := c.call()
			want := 2
			if c.create {
				want = 1
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("%s = %v; want the transient failure returned, not retried", c.op, err)
				}
			} else if err != nil {
				t.Errorf("%s = %v; want success on the retry", c.op, err)
			}
			if got := cc.n(c.op); got != want {
				t.Errorf("%s reached the cloud %d times; want %d", c.op, got, want)
			}
			if got := pacer.count() - before; got != want {
				t.Errorf("%s waited on the limiter %d times; want %d (one per attempt)", c.op, got, want)
			}
		})
	}
	if got := must[Shapes](t, rc).ShapeType(2, 2048); got != "shape" {
		t.Errorf("ShapeType = %q", got)
	}
	must[DeleteCascade](t, rc)
}

// A wrapper claims only the capabilities of what it wraps, and no other
// interface of it.
func TestWrapperClaimsOnlyInnerCapabilities(t *testing.T) {
	plain := WithRetry(capProvider{c: &capCloud{}}, RetryPolicy{})
	rc, _ := plain.Region("r1")
	if _, ok := As[Backups](plain); ok {
		t.Error("the provider claims Backups, which only its region has")
	}
	type driverOnly interface{ DeletesVMChildren() }
	if _, ok := rc.(driverOnly); ok {
		t.Error("a bare type assertion sees through the wrapper")
	}

	bare := WithRetry(noCaps{}, RetryPolicy{})
	brc, _ := bare.Region("r1")
	for name, ok := range map[string]bool{
		"Hosts":   isA[Hosts](brc) || isA[Hosts](bare),
		"Quotas":  isA[Quotas](bare),
		"Backups": isA[Backups](brc),
		"Console": isA[Console](brc),
		"Resizer": isA[Resizer](brc),
		"Shapes":  isA[Shapes](brc),
		"DiskOps": isA[DiskOps](brc),
	} {
		if ok {
			t.Errorf("a provider without %s is said to have it through WithRetry", name)
		}
	}
}

func isA[T any](v any) bool {
	_, ok := As[T](v)
	return ok
}

type noCaps struct{ NotSupportedProvider }

func (noCaps) Name() string                              { return "Bare" }
func (noCaps) Capabilities() Capabilities                { return nil }
func (noCaps) ValidateCredentials(context.Context) error { return nil }
func (noCaps) Account(context.Context) (Account, error)  { return Account{}, nil }
func (noCaps) Regions(context.Context) ([]Region, error) { return nil, nil }
func (noCaps) Region(string) (RegionClient, error)       { return bareRegion{}, nil }

type bareRegion struct{ NotSupportedRegion }

func (bareRegion) RegionID() string { return "r1" }
func (noCaps) Close() error         { return nil }
