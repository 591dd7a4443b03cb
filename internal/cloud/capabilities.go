package cloud

import (
	"context"
	"time"
)

// Optional capabilities. Private clouds (StarVCenter today, OpenStack next)
// offer more than the SPI every driver implements: the physical hosts and
// storage pools under the tenant's VMs, whole-VM backups and snapshots, the
// console, resizing by vCPUs and memory, guest passwords, NICs and data
// disks, the tenant's quota. Each is a small interface below. A driver
// implements those its cloud has on its RegionClient (where the cloud
// scopes them) and, for platform-wide ones such as Hosts and Quotas, on
// its Provider too.
//
// Callers find a capability with As, never with a bare type assertion: a
// wrapper such as WithRetry's claims exactly the capabilities of what it
// wraps, and hands out adapters that keep its retry and pacing.

// As returns the capability T of v (a Provider or RegionClient); ok is
// false when v lacks it. A wrapper answers for the value it wraps.
func As[T any](v any) (T, bool) {
	var c T
	if w, ok := v.(capabilityWrapper); ok {
		if w.capability(&c) {
			return c, true
		}
	}
	c, ok := v.(T)
	return c, ok
}

// capabilityWrapper is implemented by wrappers that forward capabilities;
// capability sets *target (a pointer to a capability interface) to an
// adapter over the wrapped value and reports whether it has it.
type capabilityWrapper interface {
	capability(target any) bool
}

// Hosts lists the physical hosts and the storage pools of the platform.
type Hosts interface {
	Hosts(ctx context.Context) ([]Host, error)
	Storages(ctx context.Context) ([]Storage, error)
}

// Quotas reads the tenant's quota and what is left of it.
type Quotas interface {
	Quota(ctx context.Context) (Quota, error)
}

// Backups manages whole-VM backups, which live on backup storage and
// outlive the VM's disks.
type Backups interface {
	Backups(ctx context.Context, vmID string) ([]VMCopy, error)
	CreateBackup(ctx context.Context, vmID, name, description string) (VMCopy, error)
	RestoreBackup(ctx context.Context, backupID string) error
	DeleteBackup(ctx context.Context, backupID string) error
}

// VMSnapshots takes and restores snapshots of a whole VM (the SPI's
// snapshots are of one disk; DeleteSnapshot is the SPI's).
type VMSnapshots interface {
	VMSnapshots(ctx context.Context, vmID string) ([]VMCopy, error)
	CreateVMSnapshot(ctx context.Context, vmID, name, description string) (VMCopy, error)
	RestoreSnapshot(ctx context.Context, snapshotID string) error
}

// Console tells how to reach a VM's remote console.
type Console interface {
	Console(ctx context.Context, vmID string) (ConsoleAccess, error)
}

// Resizer changes a VM's vCPUs and memory (MiB) one at a time, for clouds
// that size VMs freely rather than from a catalog of instance types.
type Resizer interface {
	ResizeCPU(ctx context.Context, vmID string, cpus int) error
	ResizeMemory(ctx context.Context, vmID string, memoryMiB int) error
}

// Shapes is implemented by clouds that make a VM of any vCPU count and
// memory size: ShapeType names that shape as an instance type that
// CreateInstances and ChangeInstanceType accept. It does no I/O.
type Shapes interface {
	ShapeType(cpus, memoryMiB int) string
}

// Passwords resets a guest's administrator password through the VM's
// agent; username "" means the guest's default administrator.
type Passwords interface {
	SetAdminPassword(ctx context.Context, vmID, username, password string) error
}

// InstanceEditor renames a VM and sets its description.
type InstanceEditor interface {
	ModifyInstance(ctx context.Context, vmID, name, description string) error
}

// NICs lists a VM's network cards and adds one on a private network,
// returning its id.
type NICs interface {
	NICs(ctx context.Context, vmID string) ([]NIC, error)
	AddNIC(ctx context.Context, vmID, subnetID string) (string, error)
}

// DiskOps adds a data disk to a VM, grows a disk and deletes a data disk.
type DiskOps interface {
	AddDisk(ctx context.Context, vmID string, sizeGiB int, description string) (Disk, error)
	ExtendDisk(ctx context.Context, diskID string, sizeGiB int) error
	DeleteDisk(ctx context.Context, diskID string) error
}

// DeleteCascade is implemented by clouds that delete a VM's disks,
// snapshots and backups together with the VM, so a caller may forget them
// when the VM is gone instead of waiting for the next listing.
type DeleteCascade interface {
	DeletesVMChildren()
}

// Host is a physical host of a private cloud.
type Host struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	State       int       `json:"state"` // the cloud's own state code
	Status      Status    `json:"status"`
	Connected   bool      `json:"connected"`
	IP          string    `json:"ip"`
	Registered  bool      `json:"registered"`
	Maintenance bool      `json:"maintenance"`
	OSProduct   string    `json:"os_product,omitempty"`
	OSBits      string    `json:"os_bits,omitempty"`
	OSVersion   string    `json:"os_version,omitempty"`
	VirtVersion string    `json:"virt_version,omitempty"`
	CPUVendor   string    `json:"cpu_vendor,omitempty"`
	CPUCores    int       `json:"cpu_cores"`
	CPUs        int       `json:"cpus"`
	MemoryGiB   int       `json:"memory_gib"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// Storage is a storage pool of a private cloud.
type Storage struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description,omitempty"`
	Type         string    `json:"type"` // NFS, FCSAN, ISCSI, CEPH, GFS2, GLUSTERFS, ...
	Thin         bool      `json:"thin"`
	SizeGB       int64     `json:"size_gb"`
	UsedGB       int64     `json:"used_gb"`
	Location     string    `json:"location,omitempty"`
	Use          string    `json:"use"`       // main or seconds (backup)
	FileType     string    `json:"file_type"` // block, file, network
	Access       string    `json:"access"`    // r or rw
	CephMonitors []string  `json:"ceph_monitors,omitempty"`
	CreatedAt    time.Time `json:"created_at,omitzero"`
}

// VMCopy is a backup or snapshot of a whole VM.
type VMCopy struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	VMID        string    `json:"vm_id"`
	Enabled     bool      `json:"enabled"` // usable (its task ended well)
	CreatedAt   time.Time `json:"created_at,omitzero"`
	Tags        map[string]string
}

// Quota is a tenant's quota and what is left of it. A limit of 0 means
// unlimited.
type Quota struct {
	TenantID                 string `json:"tenant_id"`
	CPU                      int64  `json:"cpu"`
	CPUAvailable             int64  `json:"cpu_available"`
	MemoryMB                 int64  `json:"memory_mb"`
	MemoryAvailableMB        int64  `json:"memory_available_mb"`
	StorageGB                int64  `json:"storage_gb"`
	StorageAvailableGB       int64  `json:"storage_available_gb"`
	PublicIPs                int64  `json:"public_ips"`
	PublicIPsAvailable       int64  `json:"public_ips_available"`
	Networks                 int64  `json:"networks"`
	NetworksAvailable        int64  `json:"networks_available"`
	ObjectStorageGB          int64  `json:"object_storage_gb"`
	ObjectStorageAvailableGB int64  `json:"object_storage_available_gb"`
}

// ConsoleAccess is how to reach a VM's console.
type ConsoleAccess struct {
	Protocol string `json:"protocol"` // "vnc", ...
	URL      string `json:"url"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
}

// NIC is a VM's network card.
type NIC struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Desc      string    `json:"desc,omitempty"`
	VMID      string    `json:"vm_id"`
	MAC       string    `json:"mac"`
	IP        string    `json:"ip"`
	VPCID     string    `json:"vpc_id"`
	VPCName   string    `json:"vpc_name,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Progress is one report on a long-running operation a driver follows to
// its end (a cloud task).
type Progress struct {
	// Message is one line for a log, in the cloud's words.
	Message string
	// Percent is how far the operation got, 0..100, or -1 when the cloud
	// does not say.
	Percent int
}

type progressKey struct{}

// WithProgress returns a context under which drivers report the progress of
// the operations they follow to fn, once per change. fn is called from the
// goroutine that made the call; it must not block for long.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress hands p to the function WithProgress put in ctx, if any.
func ReportProgress(ctx context.Context, p Progress) {
	if fn, _ := ctx.Value(progressKey{}).(func(Progress)); fn != nil {
		fn(p)
	}
}
