package aliyunsim

import (
	"net/http"
	"strconv"
	"strings"
)

// ECS disks, snapshots, network interfaces and tags.

func diskStatus(c *call, rs *regionState, d *Disk) string {
	if d.InstanceID == "" {
		return "Available"
	}
	if in, ok := rs.Instances.get(d.InstanceID); ok && in.status(c.now) == statusPending {
		return "Creating"
	}
	return "In_use"
}

// diskAttachment is one entry of a disk's Attachments and MountInstances.
type diskAttachment struct {
	InstanceId   string
	Device       string
	AttachedTime string
}

// diskOutput is DescribeDisks' item, as a struct so that a page encodes
// quickly (a sync of a large account reads thousands of pages).
type diskOutput struct {
	DiskId, DiskName, Description, Type, Category string
	Size                                          int
	Status, InstanceId, Device, RegionId, ZoneId  string
	ImageId, SourceSnapshotId, PerformanceLevel   string
	DiskChargeType                                string
	DeleteWithInstance, DeleteAutoSnapshot        bool
	EnableAutoSnapshot                            bool
	EnableAutomatedSnapshotPolicy                 bool
	AutoSnapshotPolicyId                          string
	Encrypted                                     bool
	KMSKeyId                                      string
	Portable                                      bool
	CreationTime, AttachedTime, DetachedTime      string
	ExpiredTime                                   string
	IOPS, IOPSRead, IOPSWrite, MountInstanceNum   int
	MultiAttach, SerialNumber, ProductCode        string
	BdfId, StorageSetId                           string
	Attachments                                   struct{ Attachment []diskAttachment }
	MountInstances                                struct{ MountInstance []diskAttachment }
	OperationLocks                                struct{ OperationLock []struct{} }
	Tags                                          struct{ Tag []ecsTag }
}

func diskOut(c *call, rs *regionState, d *Disk) diskOutput {
	status := diskStatus(c, rs, d)
	att := []diskAttachment{}
	if d.InstanceID != "" {
		att = append(att, diskAttachment{InstanceId: d.InstanceID, Device: d.Device, AttachedTime: fmtTime(d.Attached, ecsTimeSecond)})
	}
	iops := min(1800+50*d.Size, 50000)
	expired := farFuture
	if d.ChargeType == prePaid {
		if in, ok := rs.Instances.get(d.InstanceID); ok {
			expired = fmtTime(in.ExpiredTime, ecsTimeMinute)
		}
	}
	o := diskOutput{
		DiskId: d.ID, DiskName: d.Name, Description: d.Description, Type: d.Kind, Category: d.Category,
		Size: d.Size, Status: status, InstanceId: d.InstanceID, Device: d.Device, RegionId: d.Region,
		ZoneId: d.Zone, ImageId: d.ImageID, SourceSnapshotId: d.SourceSnapshotID, PerformanceLevel: d.PerformanceLevel,
		DiskChargeType: d.ChargeType, DeleteWithInstance: d.DeleteWithInstance, DeleteAutoSnapshot: true,
		Portable: d.Kind == "data", CreationTime: fmtTime(d.Created, ecsTimeSecond),
		AttachedTime: fmtTime(d.Attached, ecsTimeSecond), ExpiredTime: expired,
		IOPS: iops, IOPSRead: iops / 2, IOPSWrite: iops / 2, MountInstanceNum: len(att), MultiAttach: "Disabled",
		SerialNumber: strings.TrimPrefix(d.ID, "d-"),
	}
	o.Attachments.Attachment = att
	o.MountInstances.MountInstance = att
	o.OperationLocks.OperationLock = []struct{}{}
	o.Tags.Tag = make([]ecsTag, 0, len(d.Tags))
	for _, t := range d.Tags {
		o.Tags.Tag = append(o.Tags.Tag, ecsTag{t.Key, t.Value})
	}
	return o
}

func ecsDescribeDisks(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	p := c.p
	ids, aerr := p.jsonList("DiskIds", 100)
	if aerr != nil {
		return nil, aerr
	}
	kind, aerr := p.oneOf("DiskType", "all", "all", "system", "data")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	inst, cat, status, zone, name := p.str("InstanceId"), p.str("Category"), p.str("Status"), p.str("ZoneId"), p.str("DiskName")
	if cat == "all" {
		cat = ""
	}
	if status == "All" {
		status = ""
	}
	var keep func(*Disk) bool
	if len(ids) > 0 || kind != "all" || len(tags) > 0 || inst+cat+status+zone+name != "" {
		keep = func(d *Disk) bool {
			return (len(ids) == 0 || contains(ids, d.ID)) && (kind == "all" || d.Kind == kind) &&
				(inst == "" || d.InstanceID == inst) && (cat == "" || d.Category == cat) &&
				(zone == "" || d.Zone == zone) && (name == "" || d.Name == name) &&
				(status == "" || diskStatus(c, rs, d) == status) && tagsMatch(d.Tags, tags)
		}
	}
	l, aerr := pageList(p, rs.Disks.order, keep, 10, 100, 500)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]diskOutput, len(l.items))
	for i, d := range l.items {
		out[i] = diskOut(c, rs, d)
	}
	return l.envelope(obj{"RequestId": c.id, "Disks": obj{"Disk": out}}), nil
}

func (c *call) findDisk(id string) (*Disk, *regionState, *apiError) {
	if id == "" {
		return nil, nil, errMissing("DiskId")
	}
	for _, rs := range c.acct.regions {
		if d, ok := rs.Disks.get(id); ok {
			return d, rs, nil
		}
	}
	return nil, nil, errNotFound("InvalidDiskId.NotFound", "DiskId")
}

func ecsCreateSnapshot(c *call) (any, *apiError) {
	d, rs, aerr := c.findDisk(c.p.str("DiskId"))
	if aerr != nil {
		return nil, aerr
	}
	name, aerr := c.optName("SnapshotName", "InvalidSnapshotName.Malformed")
	if aerr != nil {
		return nil, aerr
	}
	if strings.HasPrefix(name, "auto") {
		return nil, errf(http.StatusBadRequest, "InvalidSnapshotName.Malformed", "Snapshot names must not start with \"auto\".")
	}
	desc, aerr := c.optDescription()
	if aerr != nil {
		return nil, aerr
	}
	days, aerr := c.p.integer("RetentionDays", 0, 1, 65536)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	if d.InstanceID != "" {
		if in, ok := rs.Instances.get(d.InstanceID); ok {
			if st := in.status(c.now); st != statusRunning && st != statusStopped {
				return nil, errIncorrectStatus()
			}
		}
	}
	if rec, aerr := c.idempotent("CreateSnapshot"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		return obj{"RequestId": c.id, "SnapshotId": rec.IDs[0]}, nil
	}
	sn := &Snapshot{Meta: c.s.st.meta("s-", d.Region, c.now, tags), Name: name, Description: desc, DiskID: d.ID,
		DiskSize: d.Size, DiskKind: d.Kind, InstanceID: d.InstanceID, Ready: c.now.Add(max(c.tun.StateDelay, 0)), RetentionDays: days}
	rs.Snapshots.put(sn)
	c.remember("CreateSnapshot", []string{sn.ID}, "", 0)
	return obj{"RequestId": c.id, "SnapshotId": sn.ID}, nil
}

func ecsDeleteSnapshot(c *call) (any, *apiError) {
	id, aerr := c.p.required("SnapshotId")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.p.boolean("Force"); aerr != nil {
		return nil, aerr
	}
	for _, rs := range c.acct.regions {
		if _, ok := rs.Snapshots.get(id); ok {
			rs.Snapshots.remove(id)
			return obj{"RequestId": c.id}, nil
		}
	}
	return nil, errNotFound("InvalidSnapshotId.NotFound", "SnapshotId")
}

func snapshotOut(c *call, sn *Snapshot) obj {
	status, progress := "accomplished", "100%"
	if c.now.Before(sn.Ready) {
		status, progress = "progressing", "50%"
	}
	kind := "Data"
	if sn.DiskKind == "system" {
		kind = "System"
	}
	return obj{
		"SnapshotId": sn.ID, "SnapshotName": sn.Name, "Description": sn.Description, "SourceDiskId": sn.DiskID,
		"SourceDiskSize": strconv.Itoa(sn.DiskSize), "SourceDiskType": kind, "Status": status, "Progress": progress,
		"CreationTime": fmtTime(sn.Created, ecsTimeSecond), "LastModifiedTime": fmtTime(sn.Created, ecsTimeSecond),
		"RetentionDays": sn.RetentionDays, "Usage": "none", "Category": "standard", "Encrypted": false,
		"SnapshotType": "user", "SnapshotSN": "64" + strings.TrimPrefix(sn.ID, "s-"), "InstantAccess": false,
		"RegionId": sn.Region, "Available": status == "accomplished", "ProductCode": "", "SourceStorageType": "disk",
		"Tags": ecsTags(sn.Tags),
	}
}

func ecsDescribeSnapshots(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	p := c.p
	ids, aerr := p.jsonList("SnapshotIds", 100)
	if aerr != nil {
		return nil, aerr
	}
	status, aerr := p.oneOf("Status", "all", "all", "progressing", "accomplished", "failed")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	disk, inst, name := p.str("DiskId"), p.str("InstanceId"), p.str("SnapshotName")
	var keep func(*Snapshot) bool
	if len(ids) > 0 || status != "all" || len(tags) > 0 || disk+inst+name != "" {
		keep = func(sn *Snapshot) bool {
			st := "accomplished"
			if c.now.Before(sn.Ready) {
				st = "progressing"
			}
			return (len(ids) == 0 || contains(ids, sn.ID)) && (disk == "" || sn.DiskID == disk) &&
				(inst == "" || sn.InstanceID == inst) && (name == "" || sn.Name == name) &&
				(status == "all" || st == status) && tagsMatch(sn.Tags, tags)
		}
	}
	l, aerr := pageList(p, rs.Snapshots.order, keep, 10, 100, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]obj, 0, len(l.items))
	for _, sn := range l.items {
		out = append(out, snapshotOut(c, sn))
	}
	return l.envelope(obj{"RequestId": c.id, "Snapshots": obj{"Snapshot": out}}), nil
}

func eniOut(c *call, rs *regionState, e *ENI) obj {
	status := "Available"
	pub := obj{"PublicIpAddress": "", "AllocationId": ""}
	attach := obj{}
	if e.InstanceID != "" {
		status = "InUse"
		attach = obj{"InstanceId": e.InstanceID, "DeviceIndex": 0, "NetworkCardIndex": 0, "TrunkNetworkInterfaceId": ""}
		if in, ok := rs.Instances.get(e.InstanceID); ok {
			if eip, ok := rs.EIPs.get(in.EipID); ok {
				pub = obj{"PublicIpAddress": eip.IP, "AllocationId": eip.ID}
			} else if in.PublicIP != "" {
				pub = obj{"PublicIpAddress": in.PublicIP, "AllocationId": ""}
			}
		}
	}
	return obj{
		"NetworkInterfaceId": e.ID, "NetworkInterfaceName": e.Name, "Description": e.Description, "Status": status,
		"Type": e.Kind, "VpcId": e.VpcID, "VSwitchId": e.VSwitchID, "ZoneId": e.Zone, "PrivateIpAddress": e.PrivateIP,
		"MacAddress": e.MAC, "InstanceId": e.InstanceID, "CreationTime": fmtTime(e.Created, ecsTimeSecond),
		"OwnerId": c.acct.ID, "ResourceGroupId": "", "ServiceManaged": false, "ServiceID": 0, "QueueNumber": 1,
		"QueuePairNumber": 0, "DeleteOnRelease": true, "SourceDestCheck": false, "NetworkInterfaceTrafficMode": "Standard",
		"SecurityGroupIds":   obj{"SecurityGroupId": append([]string{}, e.SecurityGroupIDs...)},
		"PrivateIpSets":      obj{"PrivateIpSet": []obj{{"PrivateIpAddress": e.PrivateIP, "Primary": true, "PrivateDnsName": "", "AssociatedPublicIp": pub}}},
		"AssociatedPublicIp": pub, "Attachment": attach, "Tags": ecsTags(e.Tags),
		"Ipv6Sets": obj{"Ipv6Set": []obj{}}, "Ipv4PrefixSets": obj{"Ipv4PrefixSet": []obj{}}, "Ipv6PrefixSets": obj{"Ipv6PrefixSet": []obj{}},
	}
}

func ecsDescribeNetworkInterfaces(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	p := c.p
	ids, aerr := p.list("NetworkInterfaceId", 100)
	if aerr != nil {
		return nil, aerr
	}
	privIPs, aerr := p.list("PrivateIpAddress", 100)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	kind, aerr := p.oneOf("Type", "", "Primary", "Secondary", "Trunk", "Member")
	if aerr != nil {
		return nil, aerr
	}
	inst, vpc, vsw, sg, primary, status := p.str("InstanceId"), p.str("VpcId"), p.str("VSwitchId"), p.str("SecurityGroupId"), p.str("PrimaryIpAddress"), p.str("Status")
	var keep func(*ENI) bool
	if len(ids)+len(privIPs)+len(tags) > 0 || kind+inst+vpc+vsw+sg+primary+status != "" {
		keep = func(e *ENI) bool {
			st := "Available"
			if e.InstanceID != "" {
				st = "InUse"
			}
			return (len(ids) == 0 || contains(ids, e.ID)) && (len(privIPs) == 0 || contains(privIPs, e.PrivateIP)) &&
				(kind == "" || e.Kind == kind) && (inst == "" || e.InstanceID == inst) && (vpc == "" || e.VpcID == vpc) &&
				(vsw == "" || e.VSwitchID == vsw) && (sg == "" || contains(e.SecurityGroupIDs, sg)) &&
				(primary == "" || e.PrivateIP == primary) && (status == "" || st == status) && tagsMatch(e.Tags, tags)
		}
	}
	l, aerr := pageList(p, rs.ENIs.order, keep, 10, 500, 500)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]obj, 0, len(l.items))
	for _, e := range l.items {
		out = append(out, eniOut(c, rs, e))
	}
	return l.envelope(obj{"RequestId": c.id, "NetworkInterfaceSets": obj{"NetworkInterfaceSet": out}}), nil
}

// --- tags ---------------------------------------------------------------------

const maxTagsPerResource = 20

// taggable returns the tag list of a resource of an ECS or VPC resource type.
func taggable(rs *regionState, rtype, id string) (*[]Tag, bool) {
	m := lookupMeta(rs, rtype, id)
	if m == nil {
		return nil, false
	}
	return &m.Tags, true
}

// allTaggable lists every resource of a type in creation order.
func allTaggable(rs *regionState, rtype string) []*Meta {
	var out []*Meta
	add := func(m *Meta) { out = append(out, m) }
	switch strings.ToLower(rtype) {
	case "instance":
		for _, v := range rs.Instances.order {
			add(&v.Meta)
		}
	case "disk":
		for _, v := range rs.Disks.order {
			add(&v.Meta)
		}
	case "snapshot":
		for _, v := range rs.Snapshots.order {
			add(&v.Meta)
		}
	case "securitygroup":
		for _, v := range rs.SGs.order {
			add(&v.Meta)
		}
	case "eni":
		for _, v := range rs.ENIs.order {
			add(&v.Meta)
		}
	case "image":
		for _, v := range rs.Images.order {
			add(&v.Meta)
		}
	case "vpc":
		for _, v := range rs.VPCs.order {
			add(&v.Meta)
		}
	case "vswitch":
		for _, v := range rs.VSwitches.order {
			add(&v.Meta)
		}
	case "eip":
		for _, v := range rs.EIPs.order {
			add(&v.Meta)
		}
	}
	return out
}

var ecsResourceTypes = []string{"instance", "disk", "snapshot", "image", "securitygroup", "eni"}
var vpcResourceTypes = []string{"VPC", "VSWITCH", "EIP"}

func resourceType(c *call, allowed []string) (string, *apiError) {
	rt, aerr := c.p.required("ResourceType")
	if aerr != nil {
		return "", aerr
	}
	for _, a := range allowed {
		if strings.EqualFold(a, rt) {
			return a, nil
		}
	}
	return "", errf(http.StatusBadRequest, "InvalidResourceType.NotFound", "The specified ResourceType is not valid.")
}

func tagResources(c *call, allowed []string) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	rt, aerr := resourceType(c, allowed)
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.list("ResourceId", 50)
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) == 0 {
		return nil, errMissing("ResourceId.N")
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	if len(tags) == 0 {
		return nil, errMissing("Tag.N.Key")
	}
	var targets []*[]Tag
	for _, id := range ids {
		t, ok := taggable(rs, rt, id)
		if !ok {
			return nil, errNotFound("InvalidResourceId.NotFound", "ResourceId")
		}
		merged := mergeTags(*t, tags)
		if len(merged) > maxTagsPerResource {
			return nil, errf(http.StatusBadRequest, "InvalidTagCount", "A resource can carry at most %d tags.", maxTagsPerResource)
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		*t = mergeTags(*t, tags)
	}
	return obj{"RequestId": c.id}, nil
}

func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, a := range add {
		replaced := false
		for i := range out {
			if out[i].Key == a.Key {
				out[i].Value = a.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return out
}

func untagResources(c *call, allowed []string) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	rt, aerr := resourceType(c, allowed)
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.list("ResourceId", 50)
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) == 0 {
		return nil, errMissing("ResourceId.N")
	}
	keys, aerr := c.p.list("TagKey", 20)
	if aerr != nil {
		return nil, aerr
	}
	all, aerr := c.p.boolean("All")
	if aerr != nil {
		return nil, aerr
	}
	if len(keys) == 0 && !all {
		return nil, errMissing("TagKey.N")
	}
	for _, id := range ids {
		t, ok := taggable(rs, rt, id)
		if !ok {
			return nil, errNotFound("InvalidResourceId.NotFound", "ResourceId")
		}
		kept := []Tag{}
		for _, tg := range *t {
			if !all && !contains(keys, tg.Key) {
				kept = append(kept, tg)
			}
		}
		*t = kept
	}
	return obj{"RequestId": c.id}, nil
}

func listTagResources(c *call, allowed []string, tagFields [2]string) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	rt, aerr := resourceType(c, allowed)
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.list("ResourceId", 50)
	if aerr != nil {
		return nil, aerr
	}
	filter, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) == 0 && len(filter) == 0 {
		return nil, errMissing("ResourceId.N")
	}
	start := 0
	if tok := c.p.str("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "tr-"))
		if err != nil || !strings.HasPrefix(tok, "tr-") || n < 0 {
			return nil, errf(http.StatusBadRequest, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
		}
		start = n
	}
	maxResults, aerr := c.p.integer("MaxResults", 50, 1, 1000)
	if aerr != nil {
		return nil, aerr
	}
	var metas []*Meta
	if len(ids) > 0 {
		for _, id := range ids {
			if m := lookupMeta(rs, rt, id); m != nil {
				metas = append(metas, m)
			}
		}
	} else {
		metas = allTaggable(rs, rt)
	}
	out := []obj{}
	n := 0
	next := ""
	for _, m := range metas {
		if !tagsMatch(m.Tags, filter) {
			continue
		}
		for _, tg := range m.Tags {
			if n >= start {
				if len(out) == maxResults {
					next = "tr-" + strconv.Itoa(n)
					break
				}
				out = append(out, obj{"ResourceId": m.ID, "ResourceType": rt, tagFields[0]: tg.Key, tagFields[1]: tg.Value})
			}
			n++
		}
		if next != "" {
			break
		}
	}
	return obj{"RequestId": c.id, "NextToken": next, "TagResources": obj{"TagResource": out}}, nil
}

// lookupMeta finds a resource of an ECS or VPC resource type by id.
func lookupMeta(rs *regionState, rtype, id string) *Meta {
	switch strings.ToLower(rtype) {
	case "instance":
		if v, ok := rs.Instances.get(id); ok {
			return &v.Meta
		}
	case "disk":
		if v, ok := rs.Disks.get(id); ok {
			return &v.Meta
		}
	case "snapshot":
		if v, ok := rs.Snapshots.get(id); ok {
			return &v.Meta
		}
	case "securitygroup":
		if v, ok := rs.SGs.get(id); ok {
			return &v.Meta
		}
	case "eni":
		if v, ok := rs.ENIs.get(id); ok {
			return &v.Meta
		}
	case "image":
		if v, ok := rs.Images.get(id); ok {
			return &v.Meta
		}
	case "vpc":
		if v, ok := rs.VPCs.get(id); ok {
			return &v.Meta
		}
	case "vswitch":
		if v, ok := rs.VSwitches.get(id); ok {
			return &v.Meta
		}
	case "eip":
		if v, ok := rs.EIPs.get(id); ok {
			return &v.Meta
		}
	}
	return nil
}

func ecsTagResources(c *call) (any, *apiError)   { return tagResources(c, ecsResourceTypes) }
func ecsUntagResources(c *call) (any, *apiError) { return untagResources(c, ecsResourceTypes) }
func ecsListTagResources(c *call) (any, *apiError) {
	return listTagResources(c, ecsResourceTypes, [2]string{"TagKey", "TagValue"})
}
func vpcTagResources(c *call) (any, *apiError)   { return tagResources(c, vpcResourceTypes) }
func vpcUntagResources(c *call) (any, *apiError) { return untagResources(c, vpcResourceTypes) }
func vpcListTagResources(c *call) (any, *apiError) {
	return listTagResources(c, vpcResourceTypes, [2]string{"TagKey", "TagValue"})
}
