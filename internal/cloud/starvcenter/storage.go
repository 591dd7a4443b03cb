package starvcenter

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Disks are listed per VM (cloudvm/vdisk/search takes a VM id), so a
// listing without a VM reads the disks of every VM; disks that belong to no
// VM (PV disks) cannot be listed through the document's API. The first
// disk (vda/sda/hda) is the system disk.
//
// StarVCenter snapshots and backups are of a whole VM (its disks, and for
// snapshots its memory). The SPI's disk snapshots map to VM snapshots: a
// snapshot "of a disk" is a snapshot of the disk's VM, and its DiskID is
// the VM's system disk.

// diskCategory is the category disks report: StarVCenter tells none.
const diskCategory = "starvcenter"

func isSystemDev(dev string) bool {
	switch strings.ToLower(strings.TrimSpace(dev)) {
	case "vda", "sda", "hda", "xvda":
		return true
	}
	return false
}

func (r *Region) diskFrom(rec record, vmID string) cloud.Disk {
	d := cloud.Disk{Meta: r.meta("disk", rec.str("vdisk.id"), rec.str("vdisk.name"), cloud.StatusRunning, "attached"),
		Category: diskCategory, InstanceID: rec.str("vdisk.vmid"), Device: rec.str("vdisk.devname"), Type: "data",
		ChargeType: cloud.PostPaid}
	if d.InstanceID == "" {
		d.InstanceID = vmID
	}
	if isSystemDev(d.Device) {
		d.Type = "system"
	}
	if n, ok := rec.int("vdisk.size"); ok && n >= 0 && n < 1<<31 {
		d.SizeGiB = int(n)
	}
	if d.InstanceID == "" {
		d.RawStatus = "available"
	}
	d.CreatedAt = rec.time(r.p.loc, "vdisk.createtime")
	return d
}

// vmDisks lists the disks of one VM.
func (r *Region) vmDisks(ctx context.Context, op, vmID string) ([]cloud.Disk, error) {
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/vdisk/search", params{"vdisk.vmid": vmID})
	if err != nil {
		return nil, err
	}
	recs, err := decodeRecords(env.Data)
	if err != nil {
		return nil, malformed(op, err)
	}
	out := make([]cloud.Disk, 0, len(recs))
	for _, rec := range recs {
		if rec.str("vdisk.id") != "" {
			out = append(out, r.diskFrom(rec, vmID))
		}
	}
	return out, nil
}

// allVMIDs lists the ids of every VM.
func (r *Region) allVMIDs(ctx context.Context, op string) ([]string, error) {
	rows, err := r.p.searchAll(ctx, op, "cloudvm/search", params{})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, rec := range rows {
		if id := rec.str("vm.id"); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// allDisks lists the disks of one VM, or of every VM.
func (r *Region) allDisks(ctx context.Context, op, vmID string) ([]cloud.Disk, error) {
	vms := []string{vmID}
	if vmID == "" {
		var err error
		if vms, err = r.allVMIDs(ctx, op); err != nil {
			return nil, err
		}
	}
	var out []cloud.Disk
	for _, id := range vms {
		ds, err := r.vmDisks(ctx, op, id)
		if errors.Is(err, cloud.ErrNotFound) && vmID == "" {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// ListDisks lists disks, of one VM or of all.
func (r *Region) ListDisks(ctx context.Context, q cloud.DiskQuery, page cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
	const op = "ListDisks"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.Disk]{}, err
	}
	disks, err := r.allDisks(ctx, op, strings.TrimSpace(q.InstanceID))
	if err != nil {
		return cloud.Page[cloud.Disk]{}, err
	}
	if len(q.IDs) > 0 {
		disks = slices.DeleteFunc(disks, func(d cloud.Disk) bool { return !slices.Contains(q.IDs, d.ID) })
	}
	return pageOf(disks, offset, size), nil
}

// diskVM finds the VM of a disk id; an id that is a VM id is taken as that VM.
func (r *Region) diskVM(ctx context.Context, op, diskID string) (vmID, systemDisk string, err error) {
	if rec, err := r.getVM(ctx, op, diskID); err == nil {
		ds, err := r.vmDisks(ctx, op, rec.str("vm.id"))
		if err != nil {
			return "", "", err
		}
		return rec.str("vm.id"), systemDiskOf(ds), nil
	} else if !errors.Is(err, cloud.ErrNotFound) {
		return "", "", err
	}
	vms, err := r.allVMIDs(ctx, op)
	if err != nil {
		return "", "", err
	}
	for _, id := range vms {
		ds, err := r.vmDisks(ctx, op, id)
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				continue
			}
			return "", "", err
		}
		if slices.ContainsFunc(ds, func(d cloud.Disk) bool { return d.ID == diskID }) {
			return id, systemDiskOf(ds), nil
		}
	}
	return "", "", cloud.Errorf(cloud.ErrNotFound, providerName, op, "disk %q not found", diskID)
}

func systemDiskOf(ds []cloud.Disk) string {
	for _, d := range ds {
		if d.Type == "system" {
			return d.ID
		}
	}
	if len(ds) > 0 {
		return ds[0].ID
	}
	return ""
}

// copyKind is a backup or a snapshot: both are VM copies with the same
// fields under their own prefix.
type copyKind struct {
	prefix string // "backup" or "snapshot"
	kind   string // the GlobalID kind
}

var (
	backupKind = copyKind{"backup", "backup"}
	snapKind   = copyKind{"snapshot", "snapshot"}
)

// VMCopy is a backup or snapshot of a VM.
type VMCopy = cloud.VMCopy

// Backup is a VM backup (cloudvm/backup).
type Backup = VMCopy

func (k copyKind) from(rec record, loc *time.Location) VMCopy {
	p := k.prefix + "."
	text, m := decodeDesc(rec.str(p + "desc"))
	return VMCopy{ID: rec.str(p + "id"), Name: rec.str(p + "name"), Description: text, VMID: rec.str(p + "vmid"),
		Enabled: rec.boolean(p + "enable"), CreatedAt: rec.time(loc, p+"createtime"), Tags: m.Tags}
}

// copies lists a VM's backups or snapshots (GET cloudvm/<kind>/{vmId}).
func (r *Region) copies(ctx context.Context, op string, k copyKind, vmID string) ([]VMCopy, []record, error) {
	if strings.TrimSpace(vmID) == "" || strings.ContainsAny(vmID, "/?#") {
		return nil, nil, cloud.Errorf(cloud.ErrNotFound, providerName, op, "vm %q not found", vmID)
	}
	env, err := r.p.t.call(ctx, op, http.MethodGet, "cloudvm/"+k.prefix+"/"+pathID(vmID), nil)
	if err != nil {
		return nil, nil, err
	}
	recs, err := decodeRecords(env.Data)
	if err != nil {
		return nil, nil, malformed(op, err)
	}
	var out []VMCopy
	var raw []record
	for _, rec := range recs {
		if c := k.from(rec, r.p.loc); c.ID != "" {
			if c.VMID == "" {
				c.VMID = vmID
			}
			out = append(out, c)
			raw = append(raw, rec)
		}
	}
	return out, raw, nil
}

// createCopy starts a backup or snapshot of a VM and follows it. With a
// token it first looks for a copy carrying the token's digest.
func (r *Region) createCopy(ctx context.Context, op string, k copyKind, vmID, name, desc, token string) (VMCopy, error) {
	p := k.prefix + "."
	m := descMeta{Token: tokenHash(token)}
	if m.Token != "" {
		_, raws, err := r.copies(ctx, op, k, vmID)
		if err != nil {
			return VMCopy{}, err
		}
		for _, rec := range raws {
			if _, cm := decodeDesc(rec.str(p + "desc")); cm.Token == m.Token {
				c := k.from(rec, r.p.loc)
				if !c.Enabled { // still being made by the earlier try
					if _, err := r.waitVM(ctx, op, vmID, func(_, lock int) bool { return lock != LockNone }); err != nil {
						return VMCopy{}, err
					}
					c.Enabled = true
				}
				return c, nil
			}
		}
	}
	rec, err := r.settle(ctx, op, vmID)
	if err != nil {
		return VMCopy{}, err
	}
	if _, lock, _ := parseVMState(rec); lock != LockNone {
		return VMCopy{}, lockedErr(op, vmID, lock)
	}
	if strings.TrimSpace(name) == "" {
		name = k.prefix + "-" + time.Now().UTC().Format("20060102-150405")
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/"+k.prefix+"/create",
		params{p + "vmid": vmID, p + "name": name, p + "desc": encodeDesc(desc, m)})
	if err != nil {
		return VMCopy{}, err
	}
	out, err := decodeRecord(env.Data)
	if err != nil {
		return VMCopy{}, malformed(op, err)
	}
	id := out.str(p + "id")
	if id == "" {
		return VMCopy{}, malformed(op, errors.New("the create answered no "+p+"id"))
	}
	if _, err := r.p.waitTask(ctx, op, env.StartID); err != nil {
		return VMCopy{ID: id, Name: name, VMID: vmID}, err
	}
	return VMCopy{ID: id, Name: name, Description: strings.TrimSpace(desc), VMID: vmID, Enabled: true,
		CreatedAt: time.Now().UTC()}, nil
}

// restoreCopy restores a VM from a backup or snapshot and follows it.
func (r *Region) restoreCopy(ctx context.Context, op string, k copyKind, id string) error {
	env, err := r.p.t.call(ctx, op, http.MethodPut, "cloudvm/"+k.prefix+"/restore", params{k.prefix + ".id": id})
	if err != nil {
		return err
	}
	_, err = r.p.waitTask(ctx, op, env.StartID)
	return err
}

// deleteCopy deletes a backup or snapshot (synchronous).
func (r *Region) deleteCopy(ctx context.Context, op string, k copyKind, id string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#") {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "%s %q not found", k.prefix, id)
	}
	_, err := r.p.t.call(ctx, op, http.MethodDelete, "cloudvm/"+k.prefix+"/"+pathID(id), nil)
	return err
}

func (r *Region) snapshotFrom(c VMCopy, systemDisk string) cloud.Snapshot {
	status, raw := cloud.StatusPending, "creating"
	if c.Enabled {
		status, raw = cloud.StatusRunning, "enabled"
	}
	s := cloud.Snapshot{Meta: r.meta("snapshot", c.ID, c.Name, status, raw), DiskID: systemDisk}
	s.ZoneID = ""
	s.CreatedAt = c.CreatedAt
	s.Tags = map[string]string{"starvcenter:vm-id": c.VMID}
	return s
}

// CreateSnapshot snapshots the VM of spec.DiskID (a disk id, or a VM id)
// and follows the task to its end.
func (r *Region) CreateSnapshot(ctx context.Context, spec cloud.SnapshotSpec) (cloud.Snapshot, error) {
	const op = "CreateSnapshot"
	vmID, sys, err := r.diskVM(ctx, op, strings.TrimSpace(spec.DiskID))
	if err != nil {
		return cloud.Snapshot{}, err
	}
	c, err := r.createCopy(ctx, op, snapKind, vmID, spec.Name, spec.Description, spec.ClientToken)
	if err != nil {
		return cloud.Snapshot{}, err
	}
	return r.snapshotFrom(c, sys), nil
}

// DeleteSnapshot deletes a snapshot.
func (r *Region) DeleteSnapshot(ctx context.Context, id string) error {
	return r.deleteCopy(ctx, "DeleteSnapshot", snapKind, id)
}

// ListSnapshots lists snapshots of the disk's VM, or of every VM.
func (r *Region) ListSnapshots(ctx context.Context, q cloud.SnapshotQuery, page cloud.PageRequest) (cloud.Page[cloud.Snapshot], error) {
	const op = "ListSnapshots"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.Snapshot]{}, err
	}
	var vms []string
	if q.DiskID != "" {
		vmID, _, err := r.diskVM(ctx, op, q.DiskID)
		if err != nil {
			return cloud.Page[cloud.Snapshot]{}, err
		}
		vms = []string{vmID}
	} else if vms, err = r.allVMIDs(ctx, op); err != nil {
		return cloud.Page[cloud.Snapshot]{}, err
	}
	var out []cloud.Snapshot
	for _, vm := range vms {
		cs, _, err := r.copies(ctx, op, snapKind, vm)
		if errors.Is(err, cloud.ErrNotFound) && q.DiskID == "" {
			continue
		}
		if err != nil {
			return cloud.Page[cloud.Snapshot]{}, err
		}
		if len(cs) == 0 {
			continue
		}
		ds, err := r.vmDisks(ctx, op, vm)
		if err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return cloud.Page[cloud.Snapshot]{}, err
		}
		sys := systemDiskOf(ds)
		for _, c := range cs {
			if len(q.IDs) > 0 && !slices.Contains(q.IDs, c.ID) {
				continue
			}
			out = append(out, r.snapshotFrom(c, sys))
		}
	}
	return pageOf(out, offset, size), nil
}
