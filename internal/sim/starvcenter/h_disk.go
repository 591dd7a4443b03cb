package starvcentersim

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
)

const maxDiskGB = 65536

func (s *Server) diskObj(d *disk) obj {
	o := obj{
		"vdisk.id": d.ID, "vdisk.name": d.Name, "vdisk.devname": d.DevName, "vdisk.desc": d.Desc,
		"vdisk.createtime": fmtTime(d.Created), "vdisk.size": itoa(d.Size),
	}
	if d.VMID != "" {
		o["vdisk.vmid"] = d.VMID
	}
	return o
}

// POST cloudvm/vdisk/add
func (s *Server) hDiskAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("vdisk.vmid", "vdisk.size"); e != nil {
		return nil, e
	}
	v, e := c.vmParam("vdisk.vmid")
	if e != nil {
		return nil, e
	}
	size, _, e := c.p.intIn("vdisk.size", 1, maxDiskGB)
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	if s.nextDevName(v.ID) == "" {
		return nil, failf("云主机磁盘数量已达上限: %s", v.ID)
	}
	if e := s.checkQuota(s.st.Tenants[v.TenantID], need{Storage: size}); e != nil {
		return nil, e
	}
	d := s.newDisk(v, size, c.p.str("vdisk.desc"), false)
	t := s.startTask(c, v.TenantID, opDiskAdd, "vdisk", v.ID, v.Name, size, d.ID)
	return &reply{data: obj{"vdisk.id": d.ID, "vdisk.devname": d.DevName}, hasData: true, startID: t.ID}, nil
}

func (c *call) diskByID(id string) (*disk, *apiErr) {
	d := c.s.st.Disks[id]
	if d == nil || !c.sees(d.TenantID) {
		return nil, failf("磁盘不存在: %s", id)
	}
	return d, nil
}

// diskBusy refuses a disk with a pending task or a locked VM.
func (s *Server) diskBusy(d *disk) *apiErr {
	for _, t := range s.open {
		if t.ArgText == d.ID {
			return failf("磁盘有任务执行中(%s): %s", t.Name, d.ID)
		}
	}
	if v := s.st.VMs[d.VMID]; v != nil {
		return operable(v)
	}
	return nil
}

// DELETE cloudvm/vdisk/{vdiskId}
func (s *Server) hDiskDelete(c *call) (*reply, *apiErr) {
	d, e := c.diskByID(c.id)
	if e != nil {
		return nil, e
	}
	if d.System {
		return nil, failf("系统盘不能删除: %s", d.ID)
	}
	if e := s.diskBusy(d); e != nil {
		return nil, e
	}
	t := s.startTask(c, d.TenantID, opDiskDelete, "vdisk", d.VMID, d.Name, 0, d.ID)
	return taskReply(t.ID), nil
}

// PUT cloudvm/vdisk/extend
func (s *Server) hDiskExtend(c *call) (*reply, *apiErr) {
	if e := c.p.require("vdisk.id", "vdisk.size"); e != nil {
		return nil, e
	}
	d, e := c.diskByID(c.p.str("vdisk.id"))
	if e != nil {
		return nil, e
	}
	size, _, e := c.p.intIn("vdisk.size", 1, maxDiskGB)
	if e != nil {
		return nil, e
	}
	if size <= d.Size {
		return nil, failf("扩容后的容量(%dGB)必须大于当前容量(%dGB)", size, d.Size)
	}
	if e := s.diskBusy(d); e != nil {
		return nil, e
	}
	if e := s.checkQuota(s.st.Tenants[d.TenantID], need{Storage: size - d.Size}); e != nil {
		return nil, e
	}
	d.PendingSize = size
	t := s.startTask(c, d.TenantID, opDiskExtend, "vdisk", d.VMID, d.Name, size, d.ID)
	return taskReply(t.ID), nil
}

// POST cloudvm/vdisk/search
func (s *Server) hDiskSearch(c *call) (*reply, *apiErr) {
	v, e := c.vmParam("vdisk.vmid")
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, d := range sorted(s.st.Disks, func(d *disk) bool { return d.VMID == v.ID }) {
		rows = append(rows, s.diskObj(d))
	}
	return dataReply(rows), nil
}

// POST cloudvm/vdisk/create/pv
func (s *Server) hDiskCreatePV(c *call) (*reply, *apiErr) {
	if e := c.p.require("vdisk.name", "vdisk.size", "vdisk.storageid"); e != nil {
		return nil, e
	}
	t, e := c.owner("app.id")
	if e != nil {
		return nil, e
	}
	size, _, e := c.p.intIn("vdisk.size", 1, maxDiskGB)
	if e != nil {
		return nil, e
	}
	st := s.st.Storages[c.p.str("vdisk.storageid")]
	if st == nil {
		return nil, failf("存储不存在: %s", c.p.str("vdisk.storageid"))
	}
	use := c.p.str("vdisk.use.type")
	switch use {
	case "":
		use = "vm"
	case "vm", "volume":
	default:
		return nil, failf("参数vdisk.use.type必须为vm或volume: %q", use)
	}
	if use == "volume" && st.Type != "CEPH" {
		return nil, failf("vdisk.use.type为volume时存储须为CEPH存储: %s(%s)", st.ID, st.Type)
	}
	if e := s.checkQuota(t, need{Storage: size}); e != nil {
		return nil, e
	}
	d := &disk{ID: s.newID(), TenantID: t.ID, Name: c.p.str("vdisk.name"), Desc: c.p.str("vdisk.desc"),
		Created: c.now, Size: size, StorageID: st.ID, UseType: use, Seq: s.nextSeq()}
	s.st.Disks[d.ID] = d
	row := obj{"vdisk.id": d.ID, "ceph.key": "", "ceph.poolname": "", "ceph.monitor": ""}
	if st.Type == "CEPH" {
		var key [16]byte
		binary.BigEndian.PutUint64(key[:8], s.rand())
		binary.BigEndian.PutUint64(key[8:], s.rand())
		row["ceph.key"] = base64.StdEncoding.EncodeToString(key[:])
		row["ceph.poolname"] = "starv-" + strings.ToLower(t.ID[:8])
		row["ceph.monitor"] = st.CephMon
	}
	return dataReply([]obj{row}), nil
}

// --- NICs ---

func (s *Server) nicObj(n *nic) obj {
	o := obj{
		"vnic.id": n.ID, "vnic.name": n.Name, "vnic.desc": n.Desc, "vnic.createtime": fmtTime(n.Created),
		"vnic.vmid": n.VMID, "vnic.macaddress": n.MAC, "vnic.ipaddress": n.IP, "vnic.vpc.id": n.VPCID, "vnic.vpc.name": "",
	}
	if v := s.st.VPCs[n.VPCID]; v != nil {
		o["vnic.vpc.name"] = v.Name
	}
	return o
}

// POST cloudvm/vnic/search
func (s *Server) hNICSearch(c *call) (*reply, *apiErr) {
	v, e := c.vmParam("vnic.vmid")
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, n := range sorted(s.st.NICs, func(n *nic) bool { return n.VMID == v.ID }) {
		rows = append(rows, s.nicObj(n))
	}
	return dataReply(rows), nil
}

// POST cloudvm/vnic/add
func (s *Server) hNICAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("vnic.vmid", "vnic.portgroupid"); e != nil {
		return nil, e
	}
	v, e := c.vmParam("vnic.vmid")
	if e != nil {
		return nil, e
	}
	n, e := c.vpcParam("vnic.portgroupid")
	if e != nil {
		return nil, e
	}
	if n.TenantID != v.TenantID {
		return nil, failf("子网不存在: %s", n.ID)
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	ips := s.freeIPs(n, 1)
	if len(ips) == 0 {
		return nil, failf("子网%s没有可用IP", n.ID)
	}
	x := s.newNIC(v, n, ips[0])
	return dataReply(obj{"vnic.id": x.ID}), nil
}

// --- backups and snapshots ---

// copyKind describes the backup or snapshot flavour of an imageCopy.
type copyKind struct {
	prefix              string // JSON key prefix: "backup" or "snapshot"
	what                string
	m                   func(*state) map[string]*imageCopy
	createOp, restoreOp string
	createLk, restoreLk int
}

var (
	backupKind = copyKind{"backup", "备份", func(st *state) map[string]*imageCopy { return st.Backups },
		opBackupCreate, opBackupRestore, LockBackupCreate, LockBackupRestore}
	snapKind = copyKind{"snapshot", "快照", func(st *state) map[string]*imageCopy { return st.Snapshots },
		opSnapCreate, opSnapRestore, LockSnapCreate, LockSnapRestore}
)

func (k copyKind) obj(b *imageCopy) obj {
	p := k.prefix + "."
	return obj{
		p + "id": b.ID, p + "name": b.Name, p + "desc": b.Desc, p + "vmid": b.VMID,
		p + "createtime": fmtTime(b.Created), p + "enable": tf(b.Enable),
	}
}

func (c *call) copyByID(k copyKind, key string) (*imageCopy, *apiErr) {
	id := c.id
	if key != "" {
		if e := c.p.require(key); e != nil {
			return nil, e
		}
		id = c.p.str(key)
	}
	b := k.m(c.s.st)[id]
	if b == nil || !c.sees(b.TenantID) {
		return nil, failf("%s不存在: %s", k.what, id)
	}
	return b, nil
}

func (s *Server) copyList(c *call, k copyKind) (*reply, *apiErr) {
	v, e := c.vmByID(c.id)
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, b := range sorted(k.m(s.st), func(b *imageCopy) bool { return b.VMID == v.ID }) {
		rows = append(rows, k.obj(b))
	}
	return dataReply(rows), nil
}

func (s *Server) copyCreate(c *call, k copyKind) (*reply, *apiErr) {
	p := k.prefix + "."
	if e := c.p.require(p+"vmid", p+"name"); e != nil {
		return nil, e
	}
	v, e := c.vmParam(p + "vmid")
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	if v.State == VMCreateFailed || v.State == VMInstalling || v.State == VMCloning {
		return nil, stateErr(v, "创建"+k.what)
	}
	b := &imageCopy{ID: s.newID(), TenantID: v.TenantID, VMID: v.ID, Name: c.p.str(p + "name"),
		Desc: c.p.str(p + "desc"), Created: c.now, Seq: s.nextSeq()}
	k.m(s.st)[b.ID] = b
	v.Lock = k.createLk
	t := s.startTask(c, v.TenantID, k.createOp, "vm", v.ID, v.Name, 0, b.ID)
	return &reply{data: obj{p + "id": b.ID}, hasData: true, startID: t.ID}, nil
}

func (s *Server) copyRestore(c *call, k copyKind) (*reply, *apiErr) {
	b, e := c.copyByID(k, k.prefix+".id")
	if e != nil {
		return nil, e
	}
	if !b.Enable {
		return nil, failf("%s不可用(创建中或已失效): %s", k.what, b.ID)
	}
	v := s.st.VMs[b.VMID]
	if v == nil {
		return nil, failf("云主机不存在: %s", b.VMID)
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	v.Lock = k.restoreLk
	t := s.startTask(c, v.TenantID, k.restoreOp, "vm", v.ID, v.Name, 0, b.ID)
	return taskReply(t.ID), nil
}

func (s *Server) copyDelete(c *call, k copyKind) (*reply, *apiErr) {
	b, e := c.copyByID(k, "")
	if e != nil {
		return nil, e
	}
	if v := s.st.VMs[b.VMID]; v != nil && v.Lock != LockNone && (v.Lock == k.createLk || v.Lock == k.restoreLk) {
		return nil, operable(v)
	}
	delete(k.m(s.st), b.ID)
	return dataReply(""), nil
}

func (s *Server) copyModify(c *call, k copyKind) (*reply, *apiErr) {
	b, e := c.copyByID(k, k.prefix+".id")
	if e != nil {
		return nil, e
	}
	if _, _, ok := c.p.raw(k.prefix + ".desc"); ok {
		b.Desc = c.p.str(k.prefix + ".desc")
	}
	return dataReply(""), nil
}

func (s *Server) hBackupList(c *call) (*reply, *apiErr)    { return s.copyList(c, backupKind) }
func (s *Server) hBackupCreate(c *call) (*reply, *apiErr)  { return s.copyCreate(c, backupKind) }
func (s *Server) hBackupRestore(c *call) (*reply, *apiErr) { return s.copyRestore(c, backupKind) }
func (s *Server) hBackupDelete(c *call) (*reply, *apiErr)  { return s.copyDelete(c, backupKind) }
func (s *Server) hBackupModify(c *call) (*reply, *apiErr)  { return s.copyModify(c, backupKind) }
func (s *Server) hSnapList(c *call) (*reply, *apiErr)      { return s.copyList(c, snapKind) }
func (s *Server) hSnapCreate(c *call) (*reply, *apiErr)    { return s.copyCreate(c, snapKind) }
func (s *Server) hSnapRestore(c *call) (*reply, *apiErr)   { return s.copyRestore(c, snapKind) }
func (s *Server) hSnapDelete(c *call) (*reply, *apiErr)    { return s.copyDelete(c, snapKind) }
func (s *Server) hSnapModify(c *call) (*reply, *apiErr)    { return s.copyModify(c, snapKind) }
