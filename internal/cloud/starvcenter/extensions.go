package starvcenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Extensions is everything StarVCenter offers beyond the cloud SPI: the
// driver's own API, for its tests and for tools that hold the unwrapped
// Provider (Provider.Extensions). What the rest of Skyfold uses of it is
// offered as the cloud package's capabilities (cloud.Hosts, cloud.Backups,
// cloud.Console, ...), which callers find with cloud.As, so that the calls
// keep the account's retry and pacing. Every asynchronous operation is
// followed through the task log to its end, like the SPI calls;
// cloud.WithProgress reports its progress.
type Extensions interface {
	// Task reads one task of the task log; WaitTask follows it to its end.
	Task(ctx context.Context, startID string) (Task, error)
	WaitTask(ctx context.Context, startID string) (Task, error)

	// Models lists the VM types and models (the images).
	Models(ctx context.Context) ([]Model, error)

	// ResizeCPU and ResizeMemory change a VM's vCPUs and memory (MiB).
	ResizeCPU(ctx context.Context, vmID string, cpus int) error
	ResizeMemory(ctx context.Context, vmID string, memoryMiB int) error
	// SetAdminPassword resets the guest's administrator password through
	// the VM's agent; username "" means root (Linux) or Administrator.
	SetAdminPassword(ctx context.Context, vmID, username, password string) error
	// ResumeAgent wakes the VM's cloud agent (needed by SetAdminPassword).
	ResumeAgent(ctx context.Context, vmID string) error
	// SetVNCPassword sets the remote console password; ResetVNCPassword
	// sets a random one (StarVCenter does not return it).
	SetVNCPassword(ctx context.Context, vmID, password string) error
	ResetVNCPassword(ctx context.Context, vmID string) error
	// VNCConnection returns the console URL, host address and VNC port.
	VNCConnection(ctx context.Context, vmID string) (VNCInfo, error)
	// SetFirewall switches the VM's access control on or off.
	SetFirewall(ctx context.Context, vmID string, enabled bool) error
	// ModifyInstance renames a VM and sets its description (the driver's
	// tags in the description are kept).
	ModifyInstance(ctx context.Context, vmID, name, description string) error

	// NICs lists a VM's NICs; AddNIC adds one on a private network.
	NICs(ctx context.Context, vmID string) ([]NIC, error)
	AddNIC(ctx context.Context, vmID, subnetID string) (string, error)

	// AddDisk adds a data disk to a VM; ExtendDisk grows a disk; DeleteDisk
	// deletes a data disk.
	AddDisk(ctx context.Context, vmID string, sizeGiB int, description string) (cloud.Disk, error)
	ExtendDisk(ctx context.Context, diskID string, sizeGiB int) error
	DeleteDisk(ctx context.Context, diskID string) error

	// Backups lists a VM's backups; CreateBackup, RestoreBackup and
	// DeleteBackup manage them.
	Backups(ctx context.Context, vmID string) ([]Backup, error)
	CreateBackup(ctx context.Context, vmID, name, description string) (Backup, error)
	RestoreBackup(ctx context.Context, backupID string) error
	DeleteBackup(ctx context.Context, backupID string) error
	// VMSnapshots lists a VM's snapshots; CreateVMSnapshot takes one;
	// RestoreSnapshot restores the VM to one (DeleteSnapshot is the SPI's).
	VMSnapshots(ctx context.Context, vmID string) ([]VMCopy, error)
	CreateVMSnapshot(ctx context.Context, vmID, name, description string) (VMCopy, error)
	RestoreSnapshot(ctx context.Context, snapshotID string) error

	// BindSecurityGroup and UnbindSecurityGroup attach a group to NICs and
	// detach it; BoundNICs lists the NICs a group is bound to.
	BindSecurityGroup(ctx context.Context, groupID string, nicIDs []string) error
	UnbindSecurityGroup(ctx context.Context, groupID string, nicIDs []string) error
	BoundNICs(ctx context.Context, groupID string) ([]NIC, error)

	// Hosts lists the physical hosts; Storages the storages.
	Hosts(ctx context.Context) ([]Host, error)
	Storages(ctx context.Context) ([]Storage, error)
	// Quota returns the tenant's quota and what is left of it (needs the
	// tenant id in AccessKeyID); PoolCapacity the resource pool's total.
	Quota(ctx context.Context) (Quota, error)
	PoolCapacity(ctx context.Context) (PoolCapacity, error)
	// SetQuota changes a tenant's quota (a platform token may change any
	// tenant's).
	SetQuota(ctx context.Context, tenantID string, q QuotaLimits) error
	// Alarms lists alarms.
	Alarms(ctx context.Context, q AlarmQuery) ([]Alarm, error)
	// CurrentCompute reads current CPU and memory of VMs or hosts.
	CurrentCompute(ctx context.Context, kind string, ids []string) ([]ComputeSample, error)

	// CreateRouter creates a virtual router (two with HA); Router reads
	// one; Routers lists those the tenant's networks and mappings name.
	CreateRouter(ctx context.Context, spec RouterSpec) ([]Router, error)
	Router(ctx context.Context, id string) (Router, error)
	Routers(ctx context.Context) ([]Router, error)
	// AttachRouterSubnet and DetachRouterSubnet join a private network to
	// the tenant's router and take it off again.
	AttachRouterSubnet(ctx context.Context, subnetID, routerID string) error
	DetachRouterSubnet(ctx context.Context, subnetID string) error
	// NATMappings lists IP and port mappings; MapPublicIP maps a pool
	// address to a VM ("" picks a free one) and returns it; AddPortMapping
	// maps one port; DeleteMapping deletes either kind.
	NATMappings(ctx context.Context, q NATQuery) ([]NATMapping, error)
	MapPublicIP(ctx context.Context, vmID, outerIP, allowedSources string) (string, error)
	AddPortMapping(ctx context.Context, spec PortMappingSpec) (string, error)
	DeleteMapping(ctx context.Context, natID string) error
	// OuterIPs lists the pool addresses usable for mappings of a type
	// ("ip", "port" or "").
	OuterIPs(ctx context.Context, natType string) ([]OuterIP, error)

	// LoadBalancers lists load balancers; CreateLoadBalancer,
	// DeleteLoadBalancer and SetLoadBalancerEnabled manage them;
	// Backends, AddBackend and DeleteBackend their back-end nodes.
	LoadBalancers(ctx context.Context) ([]LoadBalancer, error)
	CreateLoadBalancer(ctx context.Context, spec LoadBalancerSpec) (string, error)
	DeleteLoadBalancer(ctx context.Context, id string) error
	SetLoadBalancerEnabled(ctx context.Context, id string, enabled bool) error
	Backends(ctx context.Context, loadBalancerID string) ([]Backend, error)
	AddBackend(ctx context.Context, loadBalancerID string, b Backend) (string, error)
	DeleteBackend(ctx context.Context, backendID string) error
}

// Task reads one task of the task log.
func (r *Region) Task(ctx context.Context, startID string) (Task, error) {
	return r.p.Task(ctx, startID)
}

// WaitTask follows a task to its end.
func (r *Region) WaitTask(ctx context.Context, startID string) (Task, error) {
	return r.p.WaitTask(ctx, startID)
}

// VNCInfo is how to reach a VM's console (cloudvm/connection).
type VNCInfo struct {
	ConsoleURL string `json:"console_url"`
	HostIP     string `json:"host_ip"`
	Port       int    `json:"port"`
}

// Console reads the VNC console connection.
func (r *Region) Console(ctx context.Context, vmID string) (cloud.ConsoleAccess, error) {
	v, err := r.VNCConnection(ctx, vmID)
	if err != nil {
		return cloud.ConsoleAccess{}, err
	}
	return cloud.ConsoleAccess{Protocol: "vnc", URL: v.ConsoleURL, Host: v.HostIP, Port: v.Port}, nil
}

// ShapeType names a shape of any vCPU count and memory size: StarVCenter
// makes VMs of any shape, and parseInstanceType reads the name back.
func (r *Region) ShapeType(cpus, memoryMiB int) string { return fmt.Sprintf("%dc%dm", cpus, memoryMiB) }

// DeletesVMChildren marks that deleting a VM deletes its disks, snapshots
// and backups with it.
func (r *Region) DeletesVMChildren() {}

// operable reads a VM and refuses a locked one, naming its lock.
func (r *Region) operable(ctx context.Context, op, vmID string) (record, error) {
	rec, err := r.settle(ctx, op, vmID)
	if err != nil {
		return nil, err
	}
	if _, lock, _ := parseVMState(rec); lock != LockNone {
		return nil, lockedErr(op, vmID, lock)
	}
	return rec, nil
}

// ResizeCPU changes a VM's vCPUs (cloudvm/cpu/modify).
func (r *Region) ResizeCPU(ctx context.Context, vmID string, cpus int) error {
	const op = "ResizeCPU"
	if cpus < 1 || cpus > maxVCPU {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "%d vCPUs: want 1..%d", cpus, maxVCPU)
	}
	if _, err := r.operable(ctx, op, vmID); err != nil {
		return err
	}
	return r.resize(ctx, op, vmID, "cloudvm/cpu/modify", "vm.vcpu.num", cpus)
}

// ResizeMemory changes a VM's memory (cloudvm/mem/modify).
func (r *Region) ResizeMemory(ctx context.Context, vmID string, memoryMiB int) error {
	const op = "ResizeMemory"
	if memoryMiB < 1 || memoryMiB > maxMemMiB {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "%d MiB: want 1..%d", memoryMiB, maxMemMiB)
	}
	if _, err := r.operable(ctx, op, vmID); err != nil {
		return err
	}
	return r.resize(ctx, op, vmID, "cloudvm/mem/modify", "vm.memory.mem", memoryMiB)
}

// vmTask makes one call that answers a startid and follows the task.
func (r *Region) vmTask(ctx context.Context, op, method, path string, prm params) error {
	env, err := r.p.t.call(ctx, op, method, path, prm)
	if err != nil {
		return err
	}
	_, err = r.p.waitTask(ctx, op, env.StartID)
	return err
}

// SetAdminPassword resets the guest administrator's password.
func (r *Region) SetAdminPassword(ctx context.Context, vmID, username, password string) error {
	const op = "SetAdminPassword"
	if password == "" {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "a password is required")
	}
	if _, err := r.operable(ctx, op, vmID); err != nil {
		return err
	}
	prm := params{"vm.id": vmID, "pwd": password}
	if username != "" {
		prm["username"] = username
	}
	return r.vmTask(ctx, op, http.MethodPost, "cloudvm/setadminpwd", prm)
}

// ResumeAgent wakes the VM's cloud agent.
func (r *Region) ResumeAgent(ctx context.Context, vmID string) error {
	const op = "ResumeAgent"
	if _, err := r.operable(ctx, op, vmID); err != nil {
		return err
	}
	return r.vmTask(ctx, op, http.MethodPost, "cloudvm/resumeCloudAgent", params{"vm.id": vmID})
}

// SetVNCPassword sets the console password (cloudvm/editvncpwd).
func (r *Region) SetVNCPassword(ctx context.Context, vmID, password string) error {
	const op = "SetVNCPassword"
	if password == "" {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "a password is required")
	}
	_, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/editvncpwd", params{"vm.id": vmID, "vm.vncpasswd": password})
	return err
}

// ResetVNCPassword sets a random console password (cloudvm/setvncpwd).
func (r *Region) ResetVNCPassword(ctx context.Context, vmID string) error {
	_, err := r.p.t.call(ctx, "ResetVNCPassword", http.MethodPost, "cloudvm/setvncpwd", params{"vm.id": vmID})
	return err
}

// VNCConnection reads the console connection (cloudvm/connection/{vmId}).
func (r *Region) VNCConnection(ctx context.Context, vmID string) (VNCInfo, error) {
	const op = "VNCConnection"
	if strings.TrimSpace(vmID) == "" || strings.ContainsAny(vmID, "/?#") {
		return VNCInfo{}, cloud.Errorf(cloud.ErrNotFound, providerName, op, "vm %q not found", vmID)
	}
	env, err := r.p.t.call(ctx, op, http.MethodGet, "cloudvm/connection/"+pathID(vmID), nil)
	if err != nil {
		return VNCInfo{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return VNCInfo{}, malformed(op, err)
	}
	info := VNCInfo{ConsoleURL: rec.str("vm.console.url"), HostIP: rec.str("vm.hostip")}
	if n, ok := rec.int("vm.vncport"); ok && n > 0 && n < 1<<16 {
		info.Port = int(n)
	}
	return info, nil
}

// SetFirewall switches the VM's access control (cloudvm/switchfirewalld).
func (r *Region) SetFirewall(ctx context.Context, vmID string, enabled bool) error {
	flag := "false"
	if enabled {
		flag = "true"
	}
	_, err := r.p.t.call(ctx, "SetFirewall", http.MethodPost, "cloudvm/switchfirewalld",
		params{"vm.id": vmID, "vm.firewalld.enable": flag})
	return err
}

// ModifyInstance renames a VM and sets its description, keeping the
// driver's marker (tags, token digest).
func (r *Region) ModifyInstance(ctx context.Context, vmID, name, description string) error {
	const op = "ModifyInstance"
	rec, err := r.getVM(ctx, op, vmID)
	if err != nil {
		return err
	}
	_, m := decodeDesc(rec.str("vm.desc"))
	prm := params{"vm.id": vmID, "vm.desc": encodeDesc(description, m)}
	if strings.TrimSpace(name) != "" {
		prm["vm.name"] = strings.TrimSpace(name)
	}
	_, err = r.p.t.call(ctx, op, http.MethodPut, "cloudvm/modify", prm)
	return err
}

// AddNIC adds a NIC on a private network (cloudvm/vnic/add).
func (r *Region) AddNIC(ctx context.Context, vmID, subnetID string) (string, error) {
	const op = "AddNIC"
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/vnic/add", params{"vnic.vmid": vmID, "vnic.portgroupid": subnetID})
	if err != nil {
		return "", err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return "", malformed(op, err)
	}
	return rec.str("vnic.id"), nil
}

// AddDisk adds a data disk and follows its task.
func (r *Region) AddDisk(ctx context.Context, vmID string, sizeGiB int, description string) (cloud.Disk, error) {
	const op = "AddDisk"
	if sizeGiB < 1 || sizeGiB > 65536 {
		return cloud.Disk{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "size %d GiB: want 1..65536", sizeGiB)
	}
	if _, err := r.operable(ctx, op, vmID); err != nil {
		return cloud.Disk{}, err
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/vdisk/add",
		params{"vdisk.vmid": vmID, "vdisk.size": itoa(sizeGiB), "vdisk.desc": description})
	if err != nil {
		return cloud.Disk{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return cloud.Disk{}, malformed(op, err)
	}
	id := rec.str("vdisk.id")
	if id == "" {
		return cloud.Disk{}, malformed(op, errors.New("vdisk/add answered no vdisk.id"))
	}
	if _, err := r.p.waitTask(ctx, op, env.StartID); err != nil {
		return cloud.Disk{}, err
	}
	d := cloud.Disk{Meta: r.meta("disk", id, "", cloud.StatusRunning, "attached"), Category: diskCategory,
		SizeGiB: sizeGiB, InstanceID: vmID, Device: rec.str("vdisk.devname"), Type: "data", ChargeType: cloud.PostPaid}
	if disks, err := r.vmDisks(ctx, op, vmID); err == nil {
		for _, x := range disks {
			if x.ID == id {
				d = x
			}
		}
	}
	return d, nil
}

// ExtendDisk grows a disk to sizeGiB and follows the task.
func (r *Region) ExtendDisk(ctx context.Context, diskID string, sizeGiB int) error {
	const op = "ExtendDisk"
	if sizeGiB < 1 || sizeGiB > 65536 {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "size %d GiB: want 1..65536", sizeGiB)
	}
	return r.vmTask(ctx, op, http.MethodPut, "cloudvm/vdisk/extend", params{"vdisk.id": diskID, "vdisk.size": itoa(sizeGiB)})
}

// DeleteDisk deletes a data disk and follows the task.
func (r *Region) DeleteDisk(ctx context.Context, diskID string) error {
	const op = "DeleteDisk"
	if strings.TrimSpace(diskID) == "" || strings.ContainsAny(diskID, "/?#") {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "disk %q not found", diskID)
	}
	return r.vmTask(ctx, op, http.MethodDelete, "cloudvm/vdisk/"+pathID(diskID), nil)
}

// Backups lists a VM's backups.
func (r *Region) Backups(ctx context.Context, vmID string) ([]Backup, error) {
	out, _, err := r.copies(ctx, "Backups", backupKind, vmID)
	return out, err
}

// CreateBackup backs a VM up and follows the task.
func (r *Region) CreateBackup(ctx context.Context, vmID, name, description string) (Backup, error) {
	const op = "CreateBackup"
	if strings.TrimSpace(name) == "" {
		return Backup{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "a backup name is required")
	}
	return r.createCopy(ctx, op, backupKind, vmID, name, description, "")
}

// RestoreBackup restores a VM from a backup and follows the task.
func (r *Region) RestoreBackup(ctx context.Context, backupID string) error {
	return r.restoreCopy(ctx, "RestoreBackup", backupKind, backupID)
}

// DeleteBackup deletes a backup.
func (r *Region) DeleteBackup(ctx context.Context, backupID string) error {
	return r.deleteCopy(ctx, "DeleteBackup", backupKind, backupID)
}

// VMSnapshots lists a VM's snapshots.
func (r *Region) VMSnapshots(ctx context.Context, vmID string) ([]VMCopy, error) {
	out, _, err := r.copies(ctx, "VMSnapshots", snapKind, vmID)
	return out, err
}

// CreateVMSnapshot snapshots a VM and follows the task.
func (r *Region) CreateVMSnapshot(ctx context.Context, vmID, name, description string) (VMCopy, error) {
	return r.createCopy(ctx, "CreateVMSnapshot", snapKind, vmID, name, description, "")
}

// RestoreSnapshot restores a VM to a snapshot and follows the task.
func (r *Region) RestoreSnapshot(ctx context.Context, snapshotID string) error {
	return r.restoreCopy(ctx, "RestoreSnapshot", snapKind, snapshotID)
}

// Interface guards: the capabilities the rest of Skyfold uses.
var (
	_ cloud.Hosts          = (*Region)(nil)
	_ cloud.Quotas         = (*Region)(nil)
	_ cloud.Backups        = (*Region)(nil)
	_ cloud.VMSnapshots    = (*Region)(nil)
	_ cloud.Console        = (*Region)(nil)
	_ cloud.Resizer        = (*Region)(nil)
	_ cloud.Shapes         = (*Region)(nil)
	_ cloud.Passwords      = (*Region)(nil)
	_ cloud.InstanceEditor = (*Region)(nil)
	_ cloud.NICs           = (*Region)(nil)
	_ cloud.DiskOps        = (*Region)(nil)
	_ cloud.DeleteCascade  = (*Region)(nil)
)
