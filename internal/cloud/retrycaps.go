package cloud

import "context"

// WithRetry's wrappers forward the optional capabilities of what they wrap
// through As: each lookup gets an adapter whose calls go through the same
// retry and pacing as the SPI's. A wrapper only answers for a capability
// its inner value has, and answers no other interface, so nothing reaches
// the inner value past the limiter.

func (p *retryProvider) capability(target any) bool { return forward(target, p.inner, p.r) }

func (g *retryRegion) capability(target any) bool { return forward(target, g.inner, g.r) }

// forward sets *target to a paced adapter over inner's capability.
func forward(target any, inner any, r *retrier) bool {
	switch t := target.(type) {
	case *Hosts:
		return set(t, inner, func(c Hosts) Hosts { return retryHosts{c, r} })
	case *Quotas:
		return set(t, inner, func(c Quotas) Quotas { return retryQuotas{c, r} })
	case *Backups:
		return set(t, inner, func(c Backups) Backups { return retryBackups{c, r} })
	case *VMSnapshots:
		return set(t, inner, func(c VMSnapshots) VMSnapshots { return retryVMSnapshots{c, r} })
	case *Console:
		return set(t, inner, func(c Console) Console { return retryConsole{c, r} })
	case *Resizer:
		return set(t, inner, func(c Resizer) Resizer { return retryResizer{c, r} })
	case *Shapes:
		return set(t, inner, func(c Shapes) Shapes { return c }) // no I/O: nothing to pace
	case *Passwords:
		return set(t, inner, func(c Passwords) Passwords { return retryPasswords{c, r} })
	case *InstanceEditor:
		return set(t, inner, func(c InstanceEditor) InstanceEditor { return retryInstanceEditor{c, r} })
	case *NICs:
		return set(t, inner, func(c NICs) NICs { return retryNICs{c, r} })
	case *DiskOps:
		return set(t, inner, func(c DiskOps) DiskOps { return retryDiskOps{c, r} })
	case *DeleteCascade:
		return set(t, inner, func(c DeleteCascade) DeleteCascade { return c }) // a marker: no calls
	}
	return false
}

func set[T any](target *T, inner any, wrap func(T) T) bool {
	c, ok := As[T](inner)
	if ok {
		*target = wrap(c)
	}
	return ok
}

type retryHosts struct {
	c Hosts
	r *retrier
}

func (x retryHosts) Hosts(ctx context.Context) ([]Host, error) {
	return call(ctx, x.r, "Hosts", idempotent, "", x.c.Hosts)
}

func (x retryHosts) Storages(ctx context.Context) ([]Storage, error) {
	return call(ctx, x.r, "Storages", idempotent, "", x.c.Storages)
}

type retryQuotas struct {
	c Quotas
	r *retrier
}

func (x retryQuotas) Quota(ctx context.Context) (Quota, error) {
	return call(ctx, x.r, "Quota", idempotent, "", x.c.Quota)
}

type retryBackups struct {
	c Backups
	r *retrier
}

func (x retryBackups) Backups(ctx context.Context, vmID string) ([]VMCopy, error) {
	return call(ctx, x.r, "Backups", idempotent, "", func(ctx context.Context) ([]VMCopy, error) {
		return x.c.Backups(ctx, vmID)
	})
}

// CreateBackup carries no client token, so it is tried once: a second try
// after a lost answer would make a second backup.
func (x retryBackups) CreateBackup(ctx context.Context, vmID, name, description string) (VMCopy, error) {
	return call(ctx, x.r, "CreateBackup", create, "", func(ctx context.Context) (VMCopy, error) {
		return x.c.CreateBackup(ctx, vmID, name, description)
	})
}

// RestoreBackup converges: restoring twice leaves the VM as restoring once.
func (x retryBackups) RestoreBackup(ctx context.Context, backupID string) error {
	return do(ctx, x.r, "RestoreBackup", idempotent, func(ctx context.Context) error {
		return x.c.RestoreBackup(ctx, backupID)
	})
}

func (x retryBackups) DeleteBackup(ctx context.Context, backupID string) error {
	return do(ctx, x.r, "DeleteBackup", remove, func(ctx context.Context) error {
		return x.c.DeleteBackup(ctx, backupID)
	})
}

type retryVMSnapshots struct {
	c VMSnapshots
	r *retrier
}

func (x retryVMSnapshots) VMSnapshots(ctx context.Context, vmID string) ([]VMCopy, error) {
	return call(ctx, x.r, "VMSnapshots", idempotent, "", func(ctx context.Context) ([]VMCopy, error) {
		return x.c.VMSnapshots(ctx, vmID)
	})
}

// CreateVMSnapshot carries no client token, so it is tried once.
func (x retryVMSnapshots) CreateVMSnapshot(ctx context.Context, vmID, name, description string) (VMCopy, error) {
	return call(ctx, x.r, "CreateVMSnapshot", create, "", func(ctx context.Context) (VMCopy, error) {
		return x.c.CreateVMSnapshot(ctx, vmID, name, description)
	})
}

func (x retryVMSnapshots) RestoreSnapshot(ctx context.Context, snapshotID string) error {
	return do(ctx, x.r, "RestoreSnapshot", idempotent, func(ctx context.Context) error {
		return x.c.RestoreSnapshot(ctx, snapshotID)
	})
}

type retryConsole struct {
	c Console
	r *retrier
}

func (x retryConsole) Console(ctx context.Context, vmID string) (ConsoleAccess, error) {
	return call(ctx, x.r, "Console", idempotent, "", func(ctx context.Context) (ConsoleAccess, error) {
		return x.c.Console(ctx, vmID)
	})
}

type retryResizer struct {
	c Resizer
	r *retrier
}

// ResizeCPU converges: the call names the target, not a change.
func (x retryResizer) ResizeCPU(ctx context.Context, vmID string, cpus int) error {
	return do(ctx, x.r, "ResizeCPU", idempotent, func(ctx context.Context) error {
		return x.c.ResizeCPU(ctx, vmID, cpus)
	})
}

func (x retryResizer) ResizeMemory(ctx context.Context, vmID string, memoryMiB int) error {
	return do(ctx, x.r, "ResizeMemory", idempotent, func(ctx context.Context) error {
		return x.c.ResizeMemory(ctx, vmID, memoryMiB)
	})
}

type retryPasswords struct {
	c Passwords
	r *retrier
}

func (x retryPasswords) SetAdminPassword(ctx context.Context, vmID, username, password string) error {
	return do(ctx, x.r, "SetAdminPassword", idempotent, func(ctx context.Context) error {
		return x.c.SetAdminPassword(ctx, vmID, username, password)
	})
}

type retryInstanceEditor struct {
	c InstanceEditor
	r *retrier
}

func (x retryInstanceEditor) ModifyInstance(ctx context.Context, vmID, name, description string) error {
	return do(ctx, x.r, "ModifyInstance", idempotent, func(ctx context.Context) error {
		return x.c.ModifyInstance(ctx, vmID, name, description)
	})
}

type retryNICs struct {
	c NICs
	r *retrier
}

func (x retryNICs) NICs(ctx context.Context, vmID string) ([]NIC, error) {
	return call(ctx, x.r, "NICs", idempotent, "", func(ctx context.Context) ([]NIC, error) {
		return x.c.NICs(ctx, vmID)
	})
}

// AddNIC carries no client token, so it is tried once.
func (x retryNICs) AddNIC(ctx context.Context, vmID, subnetID string) (string, error) {
	return call(ctx, x.r, "AddNIC", create, "", func(ctx context.Context) (string, error) {
		return x.c.AddNIC(ctx, vmID, subnetID)
	})
}

type retryDiskOps struct {
	c DiskOps
	r *retrier
}

// AddDisk carries no client token, so it is tried once.
func (x retryDiskOps) AddDisk(ctx context.Context, vmID string, sizeGiB int, description string) (Disk, error) {
	return call(ctx, x.r, "AddDisk", create, "", func(ctx context.Context) (Disk, error) {
		return x.c.AddDisk(ctx, vmID, sizeGiB, description)
	})
}

// ExtendDisk converges: the call names the target size.
func (x retryDiskOps) ExtendDisk(ctx context.Context, diskID string, sizeGiB int) error {
	return do(ctx, x.r, "ExtendDisk", idempotent, func(ctx context.Context) error {
		return x.c.ExtendDisk(ctx, diskID, sizeGiB)
	})
}

func (x retryDiskOps) DeleteDisk(ctx context.Context, diskID string) error {
	return do(ctx, x.r, "DeleteDisk", remove, func(ctx context.Context) error {
		return x.c.DeleteDisk(ctx, diskID)
	})
}

// Interface guards.
var (
	_ capabilityWrapper = (*retryProvider)(nil)
	_ capabilityWrapper = (*retryRegion)(nil)
	_ Hosts             = retryHosts{}
	_ Quotas            = retryQuotas{}
	_ Backups           = retryBackups{}
	_ VMSnapshots       = retryVMSnapshots{}
	_ Console           = retryConsole{}
	_ Resizer           = retryResizer{}
	_ Passwords         = retryPasswords{}
	_ InstanceEditor    = retryInstanceEditor{}
	_ NICs              = retryNICs{}
	_ DiskOps           = retryDiskOps{}
)
