package aliyunsim

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ECS instances: creation, listing, lifecycle and resizing.

const (
	statusPending  = "Pending"
	statusStarting = "Starting"
	statusRunning  = "Running"
	statusStopping = "Stopping"
	statusStopped  = "Stopped"

	postPaid = "PostPaid"
	prePaid  = "PrePaid"

	farFuture = "2099-12-31T15:59Z"
)

type diskSpec struct {
	Category           string
	Size               int
	PerformanceLevel   string
	DeleteWithInstance bool
	Name, Description  string
	SnapshotID         string
}

// instSpec is a validated instance configuration (RunInstances or Populate).
type instSpec struct {
	Name, HostName, Description string
	Type                        *InstanceType
	Image                       *Image
	VSwitch                     *VSwitch
	SGs                         []*SecurityGroup
	Bandwidth                   int
	InternetChargeType          string
	ChargeType                  string
	Period                      int
	PeriodUnit                  string // Month | Week
	Sys                         diskSpec
	Data                        []diskSpec
	Tags                        []Tag
	KeyPair                     string
	DeletionProtection          bool
	AutoRenew                   bool
	PrivateIP                   string
	Idle                        bool
}

// months is the subscription length in months (weeks count as quarters).
func (sp *instSpec) months() float64 {
	if sp.PeriodUnit == "Week" {
		return float64(sp.Period) / 4
	}
	return float64(sp.Period)
}

// hourlyMicro is the pay-as-you-go list price per hour of an instance with its
// disks and (for PayByBandwidth) its bandwidth.
func hourlyMicro(region string, t *InstanceType, disks []diskSpec, bandwidth int, ict string) int64 {
	p := t.HourlyCNY
	for _, d := range disks {
		p += diskPricePerGiBMonth[d.Category] * float64(d.Size) / 730
	}
	if ict == "PayByBandwidth" {
		p += bandwidthPerMbpsHourCNY * float64(bandwidth)
	}
	return toMicro(regionPrice(region, p))
}

// monthlyMicro is the subscription list price of one month.
func monthlyMicro(region string, t *InstanceType, disks []diskSpec, bandwidth int) int64 {
	p := t.MonthlyCNY()
	for _, d := range disks {
		p += diskPricePerGiBMonth[d.Category] * float64(d.Size)
	}
	p += bandwidthPerMbpsHourCNY * 730 * 0.6 * float64(bandwidth)
	return toMicro(regionPrice(region, p))
}

func (sp *instSpec) disks() []diskSpec { return append([]diskSpec{sp.Sys}, sp.Data...) }

// subscriptionOrder prices a subscription purchase for one instance.
func (a *account) subscriptionOrder(st *state, region string, sp *instSpec, at time.Time, salt string) Order {
	gross := int64(float64(monthlyMicro(region, sp.Type, sp.disks(), sp.Bandwidth)) * sp.months())
	disc := int64(float64(gross) * a.Discount)
	var coupon int64
	if hash64(salt)%5 == 0 { // one order in five uses a coupon
		coupon = min((gross-disc)/10, toMicro(50))
	}
	return Order{ID: st.orderID(), At: at, Months: max(1, int(sp.months()+0.5)), Gross: gross, Discount: disc, Coupon: coupon}
}

// createInstance builds one instance with its system and data disks and
// primary NIC. The caller has checked quota, addresses and balance.
// With running set, the instance was created at created and is already
// Running; otherwise it starts its Pending → Starting → Running walk at now.
func (st *state) createInstance(a *account, rs *regionState, region string, sp *instSpec, created, now time.Time, running bool, delay time.Duration) *Instance {
	vsw := sp.VSwitch
	in := &Instance{Meta: st.meta("i-", region, created, append([]Tag(nil), sp.Tags...))}
	in.Name, in.Description = sp.Name, sp.Description
	if in.Name == "" {
		in.Name = in.ID
	}
	in.HostName = sp.HostName
	if in.HostName == "" {
		in.HostName = "iZ" + strings.TrimPrefix(in.ID, "i-") + "Z"
	}
	in.Zone, in.Type, in.ImageID = vsw.Zone, sp.Type.ID, sp.Image.ID
	in.VpcID, in.VSwitchID = vsw.VpcID, vsw.ID
	for _, g := range sp.SGs {
		in.SecurityGroupIDs = append(in.SecurityGroupIDs, g.ID)
		g.Members++
	}
	if sp.PrivateIP != "" {
		in.PrivateIP = sp.PrivateIP
		vsw.Pool.claim(sp.PrivateIP)
	} else {
		in.PrivateIP, _ = vsw.Pool.alloc()
	}
	in.Bandwidth, in.InternetChargeType = sp.Bandwidth, sp.InternetChargeType
	if in.Bandwidth > 0 {
		in.PublicIP = st.allocPublicIP()
	}
	in.ChargeType, in.AutoRenew = sp.ChargeType, sp.AutoRenew
	in.KeyPairName, in.DeletionProtection, in.Idle = sp.KeyPair, sp.DeletionProtection, sp.Idle
	in.Serial = fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", st.rng.Uint32(), st.rng.Uint32()&0xffff, st.rng.Uint32()&0xffff, st.rng.Uint32()&0xffff, st.rng.Uint64()&0xffffffffffff)
	in.StoppedMode = "Not-applicable"
	if running {
		in.Status = statusRunning
		in.StartTime = created
	} else {
		in.schedule(now, delay, statusPending, statusStarting, statusRunning)
		in.StartTime = now.Add(2 * max(delay, 0))
	}

	mkDisk := func(ds diskSpec, kind, device string) *Disk {
		d := &Disk{Meta: st.meta("d-", region, created, nil), Name: ds.Name, Description: ds.Description, Category: ds.Category,
			Size: ds.Size, Kind: kind, InstanceID: in.ID, Zone: in.Zone, Device: device, DeleteWithInstance: ds.DeleteWithInstance,
			SourceSnapshotID: ds.SnapshotID, PerformanceLevel: ds.PerformanceLevel, ChargeType: sp.ChargeType, Attached: created}
		if kind == "system" {
			d.ImageID = sp.Image.ID
		}
		rs.Disks.put(d)
		return d
	}
	in.SystemDiskID = mkDisk(sp.Sys, "system", "/dev/xvda").ID
	for i, dd := range sp.Data {
		in.DataDiskIDs = append(in.DataDiskIDs, mkDisk(dd, "data", "/dev/xvd"+string(rune('b'+i))).ID)
	}
	eni := &ENI{Meta: st.meta("eni-", region, created, nil), InstanceID: in.ID, VpcID: in.VpcID, VSwitchID: in.VSwitchID,
		Zone: in.Zone, PrivateIP: in.PrivateIP, SecurityGroupIDs: append([]string(nil), in.SecurityGroupIDs...), Kind: "Primary",
		MAC: fmt.Sprintf("00:16:3e:%02x:%02x:%02x", byte(in.Seq>>16), byte(in.Seq>>8), byte(in.Seq))}
	rs.ENIs.put(eni)
	in.ENIID = eni.ID

	// Spans record when the instance runs, for metrics; pay-as-you-go ones
	// carry the hourly price, subscription ones zero (paid by order).
	var h int64
	if sp.ChargeType == prePaid {
		o := a.subscriptionOrder(st, region, sp, created, in.ID)
		in.Orders = append(in.Orders, o)
		a.pay(o)
		if sp.PeriodUnit == "Week" {
			in.ExpiredTime = created.AddDate(0, 0, 7*sp.Period)
		} else {
			in.ExpiredTime = created.AddDate(0, sp.Period, 0)
		}
	} else {
		h = hourlyMicro(region, sp.Type, sp.disks(), sp.Bandwidth, sp.InternetChargeType)
	}
	in.openSpan(created, h)
	if h > 0 {
		a.startBilling(now, created, h)
	}
	rs.Instances.put(in)
	a.instances++
	a.vcpus += sp.Type.CPU
	return in
}

// claim marks a requested address as used.
func (p *ipPool) claim(ip string) {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return
	}
	b := a.As4()
	off := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) - p.Base
	for i, f := range p.Free {
		if f == off {
			p.Free = append(p.Free[:i], p.Free[i+1:]...)
			p.Used++
			return
		}
	}
	for p.Next <= off && p.Next < p.Size-poolReservedTail {
		if p.Next != off {
			p.Free = append(p.Free, p.Next)
		}
		p.Next++
	}
	p.Used++
}

// inUse reports whether ip is handed out from the pool.
func (p *ipPool) inUse(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return false
	}
	b := a.As4()
	off := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) - p.Base
	if off >= p.Next {
		return false
	}
	for _, f := range p.Free {
		if f == off {
			return false
		}
	}
	return true
}

var validPeriodsMonth = map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 12: true, 24: true, 36: true, 48: true, 60: true}

func validPassword(pw string) bool {
	if len(pw) < 8 || len(pw) > 30 {
		return false
	}
	var lower, upper, digit, special int
	for _, r := range pw {
		switch {
		case r > unicode.MaxASCII:
			return false
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		case strings.ContainsRune("()`~!@#$%^&*-_+=|{}[]:;'<>,.?/", r):
			special = 1
		default:
			return false
		}
	}
	return lower+upper+digit+special >= 3
}

func validHostName(h string) bool {
	if len(h) < 2 || len(h) > 64 || strings.HasPrefix(h, ".") || strings.HasPrefix(h, "-") || strings.HasSuffix(h, ".") || strings.HasSuffix(h, "-") {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// parseRunSpec validates RunInstances parameters as Aliyun does.
func (c *call) parseRunSpec(rid string, rs *regionState) (*instSpec, int, int, *apiError) {
	p := c.p
	sp := &instSpec{}
	tname, aerr := p.required("InstanceType")
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	if sp.Type = instanceTypeByID[tname]; sp.Type == nil {
		return nil, 0, 0, errNotFound("InvalidInstanceType.NotFound", "InstanceType")
	}
	imgID, aerr := p.required("ImageId")
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	var ok bool
	if sp.Image, ok = c.lookupImage(rs, imgID); !ok {
		return nil, 0, 0, errNotFound("InvalidImageId.NotFound", "ImageId")
	}
	vswID, aerr := p.required("VSwitchId")
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	if sp.VSwitch, ok = rs.VSwitches.get(vswID); !ok {
		return nil, 0, 0, errNotFound("InvalidVSwitchId.NotFound", "VSwitchId")
	}
	if z := p.str("ZoneId"); z != "" && z != sp.VSwitch.Zone {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidParameter.Mismatch", "The specified ZoneId %q does not match the zone of the vSwitch (%s).", z, sp.VSwitch.Zone)
	}
	sgIDs, aerr := p.list("SecurityGroupIds", 5)
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	if id := p.str("SecurityGroupId"); id != "" {
		sgIDs = append([]string{id}, sgIDs...)
	}
	if len(sgIDs) == 0 {
		return nil, 0, 0, errMissing("SecurityGroupId")
	}
	for _, id := range sgIDs {
		sg, ok := rs.SGs.get(id)
		if !ok {
			return nil, 0, 0, sgNotFound()
		}
		if sg.VpcID != sp.VSwitch.VpcID {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidSecurityGroupId.VPCMismatch", "The specified security group and vSwitch are not in the same VPC.")
		}
		sp.SGs = append(sp.SGs, sg)
	}
	amount, aerr := p.integer("Amount", 1, 1, 100)
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	minAmount, aerr := p.integer("MinAmount", amount, 1, 100)
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	if minAmount > amount {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidParameter.MinAmount", "MinAmount must not be greater than Amount.")
	}
	if sp.Name, aerr = c.optName("InstanceName", "InvalidInstanceName.Malformed"); aerr != nil {
		return nil, 0, 0, aerr
	}
	if sp.HostName = p.str("HostName"); sp.HostName != "" && !validHostName(sp.HostName) {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidHostName.Malformed", "The specified parameter HostName is not valid.")
	}
	if sp.Description, aerr = c.optDescription(); aerr != nil {
		return nil, 0, 0, aerr
	}
	if sp.ChargeType, aerr = p.oneOf("InstanceChargeType", postPaid, postPaid, prePaid); aerr != nil {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidInstanceChargeType.ValueNotSupported", "The specified InstanceChargeType is not valid.")
	}
	if sp.ChargeType == prePaid {
		if sp.PeriodUnit, aerr = p.oneOf("PeriodUnit", "Month", "Month", "Week"); aerr != nil {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidPeriodUnit.ValueNotSupported", "The specified PeriodUnit is not valid.")
		}
		if !p.has("Period") {
			return nil, 0, 0, errMissing("Period")
		}
		sp.Period, aerr = p.integer("Period", 1, 1, 60)
		bad := aerr != nil || (sp.PeriodUnit == "Month" && !validPeriodsMonth[sp.Period]) || (sp.PeriodUnit == "Week" && sp.Period > 4)
		if bad {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidPeriod", "The specified period is not valid.")
		}
		if sp.AutoRenew, aerr = p.boolean("AutoRenew"); aerr != nil {
			return nil, 0, 0, aerr
		}
	}
	if sp.Bandwidth, aerr = p.integer("InternetMaxBandwidthOut", 0, 0, 100); aerr != nil {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidInternetMaxBandwidthOut.Malformed", "The specified parameter InternetMaxBandwidthOut is not valid.")
	}
	if sp.InternetChargeType, aerr = p.oneOf("InternetChargeType", "PayByTraffic", "PayByTraffic", "PayByBandwidth"); aerr != nil {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not valid.")
	}
	sp.Sys.Category = p.str("SystemDisk.Category")
	if sp.Sys.Category == "" {
		sp.Sys.Category = "cloud_efficiency"
	}
	if _, ok := diskPricePerGiBMonth[sp.Sys.Category]; !ok || sp.Sys.Category == "cloud" {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidSystemDiskCategory.ValueNotSupported", "The specified parameter SystemDisk.Category is not valid.")
	}
	if sp.Sys.Size, aerr = p.integer("SystemDisk.Size", max(40, sp.Image.Size), 1, 1<<20); aerr != nil {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidSystemDiskSize.ValueNotSupported", "The specified parameter SystemDisk.Size is not valid.")
	}
	if sp.Sys.Size < sp.Image.Size {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidSystemDiskSize.LessThanImageSize", "The specified system disk size (%d GiB) is smaller than the image size (%d GiB).", sp.Sys.Size, sp.Image.Size)
	}
	if sp.Sys.Size < 20 || sp.Sys.Size > 2048 {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidSystemDiskSize.ValueNotSupported", "The specified parameter SystemDisk.Size is not valid.")
	}
	sp.Sys.Name, sp.Sys.Description, sp.Sys.PerformanceLevel = p.str("SystemDisk.DiskName"), p.str("SystemDisk.Description"), p.str("SystemDisk.PerformanceLevel")
	sp.Sys.DeleteWithInstance = true
	dds, aerr := p.objects("DataDisk", 16)
	if aerr != nil {
		return nil, 0, 0, aerr
	}
	for _, o := range dds {
		d := diskSpec{Category: o["Category"], DeleteWithInstance: true, Name: o["DiskName"], Description: o["Description"],
			SnapshotID: o["SnapshotId"], PerformanceLevel: o["PerformanceLevel"]}
		if d.Category == "" {
			d.Category = "cloud_efficiency"
		}
		if _, ok := diskPricePerGiBMonth[d.Category]; !ok {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidDataDiskCategory.ValueNotSupported", "The specified parameter DataDisk.n.Category is not valid.")
		}
		size, err := strconv.Atoi(o["Size"])
		if o["Size"] == "" && d.SnapshotID != "" {
			size, err = 40, nil
		}
		if err != nil || size < 20 || size > 32768 {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidDataDiskSize.ValueNotSupported", "The specified parameter DataDisk.n.Size is not valid.")
		}
		d.Size = size
		if v := o["DeleteWithInstance"]; v != "" {
			d.DeleteWithInstance = strings.EqualFold(v, "true")
		}
		sp.Data = append(sp.Data, d)
	}
	if pw := p.str("Password"); pw != "" && !validPassword(pw) {
		return nil, 0, 0, errf(http.StatusBadRequest, "InvalidPassword.Malformed", "The specified parameter Password is not valid.")
	}
	if sp.Tags, aerr = p.tags("Tag"); aerr != nil {
		return nil, 0, 0, aerr
	}
	sp.KeyPair = p.str("KeyPairName")
	if sp.DeletionProtection, aerr = p.boolean("DeletionProtection"); aerr != nil {
		return nil, 0, 0, aerr
	}
	if sp.PrivateIP = p.str("PrivateIpAddress"); sp.PrivateIP != "" {
		a, err := netip.ParseAddr(sp.PrivateIP)
		pfx := netip.MustParsePrefix(sp.VSwitch.CIDR)
		if err != nil || !pfx.Contains(a) {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidPrivateIpAddress.Malformed", "The specified private IP address is not in the CIDR block of the vSwitch.")
		}
		if sp.VSwitch.Pool.inUse(sp.PrivateIP) {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidPrivateIpAddress.Duplicated", "The specified private IP address is already in use.")
		}
		if amount > 1 {
			return nil, 0, 0, errf(http.StatusBadRequest, "InvalidParameter.Amount", "PrivateIpAddress can only be specified when Amount is 1.")
		}
	}
	return sp, amount, minAmount, nil
}

func (c *call) idleForNew(id string) bool {
	share := c.tun.IdleShare
	return share > 0 && unit(hash64("idle/"+id)) < share
}

func ecsRunInstances(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	sp, amount, minAmount, aerr := c.parseRunSpec(rid, rs)
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if rec, aerr := c.idempotent("RunInstances"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		return runInstancesOut(c, rec.IDs, rec.Order, rec.Price), nil
	}
	a := c.acct
	n := amount
	if qerr := a.checkQuota(n, n*sp.Type.CPU); qerr != nil {
		fit := min(a.MaxInstances-a.instances, (a.MaxVCPUs-a.vcpus)/sp.Type.CPU)
		if fit < minAmount {
			return nil, qerr
		}
		n = fit
	}
	if free := sp.VSwitch.Pool.available(); free < n {
		if free < minAmount {
			return nil, errf(http.StatusForbidden, "InvalidVSwitchId.IpNotEnough", "The specified vSwitch does not have enough IP addresses (%d available).", free)
		}
		n = free
	}
	avail := a.available(c.now)
	var price float64
	if sp.ChargeType == prePaid {
		gross := float64(monthlyMicro(rid, sp.Type, sp.disks(), sp.Bandwidth)) * sp.months() * float64(n)
		cost := int64(gross * (1 - a.Discount))
		if cost > avail {
			return nil, errf(http.StatusForbidden, "InvalidAccountStatus.NotEnoughBalance",
				"Your account does not have enough balance. Required: %s CNY, available: %s CNY.", fmtMoney(cost), fmtMoney(avail))
		}
		price = cents(cost)
	} else {
		if avail <= 0 {
			return nil, errf(http.StatusForbidden, "Account.Arrearage", "Your account has an outstanding payment (balance %s CNY).", fmtMoney(avail))
		}
		price = cents(hourlyMicro(rid, sp.Type, sp.disks(), sp.Bandwidth, sp.InternetChargeType) * int64(n))
	}
	if dry {
		return nil, errDryRun()
	}
	unique, aerr := c.p.boolean("UniqueSuffix")
	if aerr != nil {
		return nil, aerr
	}
	st := c.s.st
	ids := make([]string, 0, n)
	baseName := sp.Name
	for i := 0; i < n; i++ {
		if unique && baseName != "" && n > 1 {
			sp.Name = fmt.Sprintf("%s%03d", baseName, i+1)
		}
		in := st.createInstance(a, rs, rid, sp, c.now, c.now, false, c.tun.StateDelay)
		in.Idle = c.idleForNew(in.ID)
		ids = append(ids, in.ID)
	}
	order := ""
	if sp.ChargeType == prePaid {
		order = st.orderID()
	}
	c.remember("RunInstances", ids, order, price)
	return runInstancesOut(c, ids, order, price), nil
}

func runInstancesOut(c *call, ids []string, order string, price float64) obj {
	o := obj{"RequestId": c.id, "InstanceIdSets": obj{"InstanceIdSet": ids}, "TradePrice": price}
	if order != "" {
		o["OrderId"] = order
	}
	return o
}

// --- output -------------------------------------------------------------------

type ipList struct {
	IpAddress []string
}

func ips(v ...string) ipList {
	out := make([]string, 0, len(v))
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return ipList{out}
}

type ecsTag struct {
	TagKey   string
	TagValue string
}

type nicOut struct {
	NetworkInterfaceId string
	MacAddress         string
	PrimaryIpAddress   string
	Type               string
	PrivateIpSets      struct {
		PrivateIpSet []privateIP
	}
}

type privateIP struct {
	PrivateIpAddress string
	Primary          bool
}

type eipOut struct {
	AllocationId         string
	IpAddress            string
	Bandwidth            int
	InternetChargeType   string
	IsSupportUnassociate bool
}

// instanceOut is DescribeInstances' item, as a struct so that a page of 100
// encodes quickly.
type instanceOut struct {
	InstanceId              string
	InstanceName            string
	HostName                string
	Description             string
	RegionId                string
	ZoneId                  string
	InstanceType            string
	InstanceTypeFamily      string
	Cpu                     int
	Memory                  int
	GPUAmount               int
	GPUSpec                 string
	ImageId                 string
	OSName                  string
	OSNameEn                string
	OSType                  string
	Status                  string
	CreationTime            string
	StartTime               string
	ExpiredTime             string
	AutoReleaseTime         string
	InstanceChargeType      string
	InternetChargeType      string
	InternetMaxBandwidthIn  int
	InternetMaxBandwidthOut int
	InstanceNetworkType     string
	IoOptimized             bool
	SerialNumber            string
	StoppedMode             string
	DeletionProtection      bool
	DeviceAvailable         bool
	Recyclable              bool
	KeyPairName             string
	ResourceGroupId         string
	SpotStrategy            string
	CreditSpecification     string
	LocalStorageAmount      int
	LocalStorageCapacity    int64
	VlanId                  string
	VpcAttributes           struct {
		VpcId            string
		VSwitchId        string
		NatIpAddress     string
		PrivateIpAddress ipList
	}
	InnerIpAddress    ipList
	PublicIpAddress   ipList
	RdmaIpAddress     ipList
	EipAddress        eipOut
	SecurityGroupIds  struct{ SecurityGroupId []string }
	NetworkInterfaces struct{ NetworkInterface []nicOut }
	Tags              struct{ Tag []ecsTag }
	OperationLocks    struct{ LockReason []struct{ LockReason string } }
}

func (c *call) instanceOut(rs *regionState, in *Instance, o *instanceOut) {
	t := instanceTypeByID[in.Type]
	st := in.status(c.now)
	*o = instanceOut{
		InstanceId: in.ID, InstanceName: in.Name, HostName: in.HostName, Description: in.Description,
		RegionId: in.Region, ZoneId: in.Zone, InstanceType: in.Type, ImageId: in.ImageID, Status: st,
		CreationTime: fmtTime(in.Created, ecsTimeMinute), InstanceChargeType: in.ChargeType,
		InternetChargeType: in.InternetChargeType, InternetMaxBandwidthOut: in.Bandwidth, InternetMaxBandwidthIn: 100,
		InstanceNetworkType: "vpc", IoOptimized: true, SerialNumber: in.Serial, StoppedMode: in.StoppedMode,
		DeletionProtection: in.DeletionProtection, KeyPairName: in.KeyPairName, SpotStrategy: "NoSpot",
	}
	if t != nil {
		o.InstanceTypeFamily, o.Cpu, o.Memory, o.GPUAmount, o.GPUSpec = t.Family, t.CPU, fmtMiB(t.MemoryGiB), t.GPU, t.GPUSpec
		if t.Burstable {
			o.CreditSpecification = "Standard"
		}
	}
	if im, ok := c.lookupImage(rs, in.ImageID); ok {
		o.OSName, o.OSNameEn, o.OSType = im.OSName, im.OSNameEn, im.OSType
	}
	if st != statusPending {
		o.StartTime = fmtTime(in.StartTime, ecsTimeMinute)
	}
	if in.ChargeType == prePaid {
		o.ExpiredTime = fmtTime(in.ExpiredTime, ecsTimeMinute)
	} else {
		o.ExpiredTime = farFuture
	}
	o.VpcAttributes.VpcId, o.VpcAttributes.VSwitchId = in.VpcID, in.VSwitchID
	privIP, publicIP := in.PrivateIP, in.PublicIP
	if st == statusPending {
		privIP = "" // the address shows once the instance starts
	}
	if st == statusPending || st == statusStarting {
		publicIP = ""
	}
	o.VpcAttributes.PrivateIpAddress = ips(privIP)
	o.InnerIpAddress = ips()
	o.PublicIpAddress = ips(publicIP)
	o.RdmaIpAddress = ips()
	if in.EipID != "" {
		if e, ok := rs.EIPs.get(in.EipID); ok {
			o.EipAddress = eipOut{AllocationId: e.ID, IpAddress: e.IP, Bandwidth: e.Bandwidth, InternetChargeType: e.InternetChargeType, IsSupportUnassociate: true}
		}
	}
	o.SecurityGroupIds.SecurityGroupId = append([]string{}, in.SecurityGroupIDs...)
	nic := nicOut{NetworkInterfaceId: in.ENIID, PrimaryIpAddress: privIP, Type: "Primary"}
	if e, ok := rs.ENIs.get(in.ENIID); ok {
		nic.MacAddress = e.MAC
	}
	nic.PrivateIpSets.PrivateIpSet = []privateIP{}
	if privIP != "" {
		nic.PrivateIpSets.PrivateIpSet = append(nic.PrivateIpSets.PrivateIpSet, privateIP{PrivateIpAddress: privIP, Primary: true})
	}
	o.NetworkInterfaces.NetworkInterface = []nicOut{nic}
	o.Tags.Tag = make([]ecsTag, 0, len(in.Tags))
	for _, tg := range in.Tags {
		o.Tags.Tag = append(o.Tags.Tag, ecsTag{tg.Key, tg.Value})
	}
	o.OperationLocks.LockReason = []struct{ LockReason string }{}
	if in.ChargeType == prePaid && !in.ExpiredTime.IsZero() && c.now.After(in.ExpiredTime) {
		o.OperationLocks.LockReason = append(o.OperationLocks.LockReason, struct{ LockReason string }{"financial"})
	}
}

func ecsDescribeInstances(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	p := c.p
	ids, aerr := p.jsonList("InstanceIds", 100)
	if aerr != nil {
		return nil, aerr
	}
	privIPs, aerr := p.jsonList("PrivateIpAddresses", 100)
	if aerr != nil {
		return nil, aerr
	}
	pubIPs, aerr := p.jsonList("PublicIpAddresses", 100)
	if aerr != nil {
		return nil, aerr
	}
	eipIPs, aerr := p.jsonList("EipAddresses", 100)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	status, aerr := p.oneOf("Status", "", statusPending, statusRunning, statusStarting, statusStopping, statusStopped)
	if aerr != nil {
		return nil, aerr
	}
	vpcID, vswID, zone, name := p.str("VpcId"), p.str("VSwitchId"), p.str("ZoneId"), p.str("InstanceName")
	itype, family, image, sg := p.str("InstanceType"), p.str("InstanceTypeFamily"), p.str("ImageId"), p.str("SecurityGroupId")
	charge, ict, keyPair := p.str("InstanceChargeType"), p.str("InternetChargeType"), p.str("KeyPairName")
	items := rs.Instances.order
	if len(ids) > 0 {
		// Look the ids up directly instead of scanning the region.
		var sel []*Instance
		for _, id := range ids {
			if in, ok := rs.Instances.get(id); ok {
				sel = append(sel, in)
			}
		}
		sortBySeq(sel)
		items = sel
	}
	var keep func(*Instance) bool
	filtered := len(privIPs)+len(pubIPs)+len(eipIPs)+len(tags) > 0 || status+vpcID+vswID+zone+name+itype+family+image+sg+charge+ict+keyPair != ""
	if filtered {
		namePrefix, nameFuzzy := strings.CutSuffix(name, "*")
		keep = func(in *Instance) bool {
			switch {
			case vpcID != "" && in.VpcID != vpcID,
				vswID != "" && in.VSwitchID != vswID,
				zone != "" && in.Zone != zone,
				itype != "" && in.Type != itype,
				image != "" && in.ImageID != image,
				charge != "" && in.ChargeType != charge,
				ict != "" && in.InternetChargeType != ict,
				keyPair != "" && in.KeyPairName != keyPair,
				sg != "" && !contains(in.SecurityGroupIDs, sg),
				len(privIPs) > 0 && !contains(privIPs, in.PrivateIP),
				len(pubIPs) > 0 && !contains(pubIPs, in.PublicIP):
				return false
			}
			if name != "" {
				if nameFuzzy {
					if !strings.HasPrefix(in.Name, namePrefix) {
						return false
					}
				} else if in.Name != name {
					return false
				}
			}
			if family != "" {
				if t := instanceTypeByID[in.Type]; t == nil || t.Family != family {
					return false
				}
			}
			if len(eipIPs) > 0 {
				e, ok := rs.EIPs.get(in.EipID)
				if !ok || !contains(eipIPs, e.IP) {
					return false
				}
			}
			if status != "" && in.status(c.now) != status {
				return false
			}
			return tagsMatch(in.Tags, tags)
		}
	}
	l, aerr := pageList(p, items, keep, 10, 100, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]instanceOut, len(l.items))
	for i, in := range l.items {
		c.instanceOut(rs, in, &out[i])
	}
	return l.envelope(obj{"RequestId": c.id, "Instances": obj{"Instance": out}}), nil
}

func sortBySeq[T entity](v []T) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].meta().Seq < v[j-1].meta().Seq; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func ecsDescribeInstanceStatus(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.list("InstanceId", 100)
	if aerr != nil {
		return nil, aerr
	}
	zone := c.p.str("ZoneId")
	var keep func(*Instance) bool
	if len(ids) > 0 || zone != "" {
		keep = func(in *Instance) bool {
			return (len(ids) == 0 || contains(ids, in.ID)) && (zone == "" || in.Zone == zone)
		}
	}
	page, size, aerr := c.p.paging(10, 50)
	if aerr != nil {
		return nil, aerr
	}
	items, total := pageOf(rs.Instances.order, keep, page, size)
	out := make([]obj, 0, len(items))
	for _, in := range items {
		out = append(out, obj{"InstanceId": in.ID, "Status": in.status(c.now)})
	}
	return obj{"RequestId": c.id, "TotalCount": total, "PageNumber": page, "PageSize": size,
		"InstanceStatuses": obj{"InstanceStatus": out}}, nil
}

// findInstance looks an instance up in the call's region, or in every region
// when the action takes no RegionId.
func (c *call) findInstance(id string) (*Instance, *regionState, *apiError) {
	if id == "" {
		return nil, nil, errMissing("InstanceId")
	}
	if rid := c.p.str("RegionId"); rid != "" {
		if regionByID[rid] == nil {
			return nil, nil, errRegionNotFound()
		}
		rs := c.region(rid)
		if in, ok := rs.Instances.get(id); ok {
			return in, rs, nil
		}
		return nil, nil, errNotFound("InvalidInstanceId.NotFound", "InstanceId")
	}
	for _, rs := range c.acct.regions {
		if in, ok := rs.Instances.get(id); ok {
			return in, rs, nil
		}
	}
	return nil, nil, errNotFound("InvalidInstanceId.NotFound", "InstanceId")
}

func ecsDescribeInstanceAttribute(c *call) (any, *apiError) {
	in, rs, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	o := &instanceOut{}
	c.instanceOut(rs, in, o)
	return obj{"RequestId": c.id, "InstanceId": o.InstanceId, "InstanceName": o.InstanceName, "HostName": o.HostName,
		"Description": o.Description, "RegionId": o.RegionId, "ZoneId": o.ZoneId, "InstanceType": o.InstanceType,
		"Cpu": o.Cpu, "Memory": o.Memory, "ImageId": o.ImageId, "Status": o.Status, "CreationTime": o.CreationTime,
		"ExpiredTime": o.ExpiredTime, "InstanceChargeType": o.InstanceChargeType, "InternetChargeType": o.InternetChargeType,
		"InstanceNetworkType": "vpc", "SerialNumber": o.SerialNumber, "StoppedMode": o.StoppedMode,
		"VpcAttributes": o.VpcAttributes, "PublicIpAddress": o.PublicIpAddress, "InnerIpAddress": o.InnerIpAddress,
		"EipAddress": o.EipAddress, "SecurityGroupIds": o.SecurityGroupIds, "OperationLocks": o.OperationLocks,
		"InternetMaxBandwidthOut": o.InternetMaxBandwidthOut, "InternetMaxBandwidthIn": o.InternetMaxBandwidthIn,
		"IoOptimized": "optimized", "ClusterId": "", "VlanId": "", "CreditSpecification": o.CreditSpecification,
		"DedicatedHostAttribute": obj{"DedicatedHostId": "", "DedicatedHostName": ""}, "EnableJumboFrame": false}, nil
}

// --- lifecycle ----------------------------------------------------------------

// startOne, stopOne and rebootOne change one instance; they return the status
// it had before, or an error when its status does not allow the change.
func (c *call) startOne(rs *regionState, in *Instance, dry bool) (string, *apiError) {
	in.settle(c.now)
	prev := in.Status
	if prev != statusStopped {
		return prev, errIncorrectStatus()
	}
	if in.ChargeType == postPaid && c.acct.available(c.now) <= 0 {
		return prev, errf(http.StatusForbidden, "Account.Arrearage", "Your account has an outstanding payment.")
	}
	if dry {
		return prev, nil
	}
	d := c.tun.StateDelay
	in.schedule(c.now, d, statusStarting, statusRunning)
	in.StartTime = c.now.Add(max(d, 0))
	in.StoppedMode = "Not-applicable"
	var h int64
	if in.ChargeType == postPaid {
		h = c.currentHourly(rs, in)
	}
	in.openSpan(c.now, h)
	if h > 0 {
		c.acct.startBilling(c.now, c.now, h)
	}
	return prev, nil
}

func (c *call) stopOne(in *Instance, mode string, dry bool) (string, *apiError) {
	in.settle(c.now)
	prev := in.Status
	if prev != statusRunning {
		return prev, errIncorrectStatus()
	}
	if dry {
		return prev, nil
	}
	in.schedule(c.now, c.tun.StateDelay, statusStopping, statusStopped)
	if mode == "" {
		mode = "KeepCharging"
	}
	in.StoppedMode = mode
	if ok, h := in.closeSpan(c.now); ok {
		c.acct.stopBilling(c.now, h)
	}
	return prev, nil
}

func (c *call) rebootOne(in *Instance, dry bool) (string, *apiError) {
	in.settle(c.now)
	prev := in.Status
	if prev != statusRunning {
		return prev, errIncorrectStatus()
	}
	if !dry {
		in.schedule(c.now, c.tun.StateDelay, statusStopping, statusStarting, statusRunning)
	}
	return prev, nil
}

// currentHourly prices an instance from its current type, disks and bandwidth.
func (c *call) currentHourly(rs *regionState, in *Instance) int64 {
	return hourlyMicro(in.Region, instanceTypeByID[in.Type], instanceDisks(rs, in), in.Bandwidth, in.InternetChargeType)
}

func instanceDisks(rs *regionState, in *Instance) []diskSpec {
	var out []diskSpec
	for _, id := range append([]string{in.SystemDiskID}, in.DataDiskIDs...) {
		if d, ok := rs.Disks.get(id); ok {
			out = append(out, diskSpec{Category: d.Category, Size: d.Size})
		}
	}
	return out
}

func ecsStartInstance(c *call) (any, *apiError) {
	in, rs, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.startOne(rs, in, dry); aerr != nil {
		return nil, aerr
	}
	if dry {
		return nil, errDryRun()
	}
	return obj{"RequestId": c.id}, nil
}

func ecsStopInstance(c *call) (any, *apiError) {
	in, _, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.p.boolean("ForceStop"); aerr != nil {
		return nil, aerr
	}
	mode, aerr := c.p.oneOf("StoppedMode", "", "StopCharging", "KeepCharging")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.stopOne(in, mode, dry); aerr != nil {
		return nil, aerr
	}
	if dry {
		return nil, errDryRun()
	}
	return obj{"RequestId": c.id}, nil
}

func ecsRebootInstance(c *call) (any, *apiError) {
	in, _, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.rebootOne(in, dry); aerr != nil {
		return nil, aerr
	}
	if dry {
		return nil, errDryRun()
	}
	return obj{"RequestId": c.id}, nil
}

// ecsBatch serves StartInstances, StopInstances and RebootInstances.
func ecsBatch(op string) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		_, rs, aerr := c.lookupRegion()
		if aerr != nil {
			return nil, aerr
		}
		ids, aerr := c.p.list("InstanceId", 100)
		if aerr != nil {
			return nil, aerr
		}
		if len(ids) == 0 {
			return nil, errMissing("InstanceId.N")
		}
		dry, aerr := c.p.boolean("DryRun")
		if aerr != nil {
			return nil, aerr
		}
		mode, aerr := c.p.oneOf("BatchOptimization", "AllTogether", "AllTogether", "SuccessFirst")
		if aerr != nil {
			return nil, aerr
		}
		stopMode, aerr := c.p.oneOf("StoppedMode", "", "StopCharging", "KeepCharging")
		if aerr != nil {
			return nil, aerr
		}
		apply := func(in *Instance, dryRun bool) (string, *apiError) {
			switch op {
			case "start":
				return c.startOne(rs, in, dryRun)
			case "stop":
				return c.stopOne(in, stopMode, dryRun)
			default:
				return c.rebootOne(in, dryRun)
			}
		}
		insts := make([]*Instance, len(ids))
		for i, id := range ids {
			in, ok := rs.Instances.get(id)
			if !ok && mode == "AllTogether" {
				return nil, errNotFound("InvalidInstanceId.NotFound", "InstanceId")
			}
			insts[i] = in
		}
		if mode == "AllTogether" {
			for _, in := range insts {
				if _, aerr := apply(in, true); aerr != nil {
					return nil, aerr
				}
			}
			if dry {
				return nil, errDryRun()
			}
		}
		current := map[string]string{"start": statusStarting, "stop": statusStopping, "reboot": statusStopping}[op]
		out := make([]obj, 0, len(ids))
		for i, in := range insts {
			r := obj{"InstanceId": ids[i], "Code": "200", "Message": "success"}
			if in == nil {
				r["Code"], r["Message"] = "InvalidInstanceId.NotFound", "The specified InstanceId does not exist."
				out = append(out, r)
				continue
			}
			prev, aerr := apply(in, dry)
			r["PreviousStatus"] = prev
			if aerr != nil {
				r["Code"], r["Message"], r["CurrentStatus"] = aerr.Code, aerr.Message, in.status(c.now)
			} else {
				r["CurrentStatus"] = current
				if dry {
					r["Code"], r["Message"], r["CurrentStatus"] = "DryRunOperation", "Request validation has been passed with DryRun flag set.", prev
				}
			}
			out = append(out, r)
		}
		return obj{"RequestId": c.id, "InstanceResponses": obj{"InstanceResponse": out}}, nil
	}
}

// checkDeletable applies DeleteInstance's rules to one instance.
func (c *call) checkDeletable(in *Instance, force, terminate bool) *apiError {
	st := in.status(c.now)
	if st != statusStopped && !force {
		return errIncorrectStatus()
	}
	if in.DeletionProtection {
		return errf(http.StatusForbidden, "InvalidOperation.DeletionProtection", "The instance has deletion protection enabled.")
	}
	if in.ChargeType == prePaid && c.now.Before(in.ExpiredTime) && !terminate {
		return errf(http.StatusForbidden, "ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.")
	}
	return nil
}

// deleteInstances releases instances and everything bound to them.
func (c *call) deleteInstances(rs *regionState, insts []*Instance) {
	st, a := c.s.st, c.acct
	var ids, diskIDs, eniIDs []string
	for _, in := range insts {
		in.settle(c.now)
		if ok, h := in.closeSpan(c.now); ok {
			a.stopBilling(c.now, h)
		}
		if vsw, ok := rs.VSwitches.get(in.VSwitchID); ok {
			vsw.Pool.release(in.PrivateIP)
		}
		st.releasePublicIP(in.PublicIP)
		if e, ok := rs.EIPs.get(in.EipID); ok {
			e.InstanceID, e.InstanceType = "", ""
		}
		for _, g := range in.SecurityGroupIDs {
			if sg, ok := rs.SGs.get(g); ok && sg.Members > 0 {
				sg.Members--
			}
		}
		diskIDs = append(diskIDs, in.SystemDiskID)
		for _, id := range in.DataDiskIDs {
			if d, ok := rs.Disks.get(id); ok {
				if d.DeleteWithInstance {
					diskIDs = append(diskIDs, id)
				} else {
					d.InstanceID, d.Device = "", ""
				}
			}
		}
		eniIDs = append(eniIDs, in.ENIID)
		a.instances--
		if t := instanceTypeByID[in.Type]; t != nil {
			a.vcpus -= t.CPU
		}
		in.Deleted = c.now
		in.Status, in.Next = "Deleted", nil
		a.Retired = append(a.Retired, in)
		ids = append(ids, in.ID)
	}
	rs.Instances.remove(ids...)
	rs.Disks.remove(diskIDs...)
	rs.ENIs.remove(eniIDs...)
	a.pruneRetired(c.now)
}

// pruneRetired forgets deleted instances older than a bill year.
func (a *account) pruneRetired(now time.Time) {
	if len(a.Retired) < 1024 {
		return
	}
	cut := now.AddDate(-1, -1, 0)
	kept := a.Retired[:0]
	for _, in := range a.Retired {
		if in.Deleted.After(cut) {
			kept = append(kept, in)
		}
	}
	a.Retired = kept
}

func ecsDeleteInstance(c *call) (any, *apiError) {
	in, rs, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	force, aerr := c.p.boolean("Force")
	if aerr != nil {
		return nil, aerr
	}
	terminate, aerr := c.p.boolean("TerminateSubscription")
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkDeletable(in, force, terminate); aerr != nil {
		return nil, aerr
	}
	if dry {
		return nil, errDryRun()
	}
	c.deleteInstances(rs, []*Instance{in})
	return obj{"RequestId": c.id}, nil
}

func ecsDeleteInstances(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.list("InstanceId", 100)
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) == 0 {
		return nil, errMissing("InstanceId.N")
	}
	force, aerr := c.p.boolean("Force")
	if aerr != nil {
		return nil, aerr
	}
	terminate, aerr := c.p.boolean("TerminateSubscription")
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if rec, aerr := c.idempotent("DeleteInstances"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		return obj{"RequestId": c.id}, nil
	}
	var insts []*Instance
	seen := map[string]bool{}
	for _, id := range ids {
		in, ok := rs.Instances.get(id)
		if !ok {
			return nil, errNotFound("InvalidInstanceId.NotFound", "InstanceId")
		}
		if aerr := c.checkDeletable(in, force, terminate); aerr != nil {
			return nil, aerr
		}
		if !seen[id] {
			seen[id] = true
			insts = append(insts, in)
		}
	}
	if dry {
		return nil, errDryRun()
	}
	c.deleteInstances(rs, insts)
	c.remember("DeleteInstances", ids, "", 0)
	return obj{"RequestId": c.id}, nil
}

// reprice closes the open billing span and opens one at the current price.
func (c *call) reprice(rs *regionState, in *Instance) {
	if in.ChargeType != postPaid {
		return
	}
	if ok, h := in.closeSpan(c.now); ok {
		c.acct.stopBilling(c.now, h)
		nh := c.currentHourly(rs, in)
		in.openSpan(c.now, nh)
		c.acct.startBilling(c.now, c.now, nh)
	}
}

func ecsModifyInstanceSpec(c *call) (any, *apiError) {
	in, rs, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	tname := c.p.str("InstanceType")
	bw, aerr := c.p.integer("InternetMaxBandwidthOut", -1, 0, 100)
	if aerr != nil {
		return nil, errf(http.StatusBadRequest, "InvalidInternetMaxBandwidthOut.Malformed", "The specified parameter InternetMaxBandwidthOut is not valid.")
	}
	if tname == "" && bw < 0 {
		return nil, errMissing("InstanceType")
	}
	if in.ChargeType != postPaid {
		return nil, errf(http.StatusForbidden, "InvalidInstanceChargeType.ValueNotSupported", "ModifyInstanceSpec only changes pay-as-you-go instances; use ModifyPrepayInstanceSpec for subscriptions.")
	}
	in.settle(c.now)
	var nt *InstanceType
	if tname != "" {
		if nt = instanceTypeByID[tname]; nt == nil {
			return nil, errNotFound("InvalidInstanceType.NotFound", "InstanceType")
		}
		if tname == in.Type {
			return nil, errf(http.StatusBadRequest, "InvalidInstanceType.ValueUnchanged", "The specified instance type is the same as the current one.")
		}
		if in.Status != statusStopped {
			return nil, errIncorrectStatus()
		}
		old := instanceTypeByID[in.Type]
		if delta := nt.CPU - old.CPU; delta > 0 {
			if qerr := c.acct.checkQuota(0, delta); qerr != nil {
				return nil, qerr
			}
		}
	}
	if dry {
		return nil, errDryRun()
	}
	if nt != nil {
		c.acct.vcpus += nt.CPU - instanceTypeByID[in.Type].CPU
		in.Type = nt.ID
	}
	if bw >= 0 && bw != in.Bandwidth {
		if bw > 0 && in.PublicIP == "" && in.EipID == "" {
			in.PublicIP = c.s.st.allocPublicIP()
		}
		in.Bandwidth = bw
	}
	c.reprice(rs, in)
	return obj{"RequestId": c.id}, nil
}

func ecsModifyPrepayInstanceSpec(c *call) (any, *apiError) {
	if _, _, aerr := c.lookupRegion(); aerr != nil {
		return nil, aerr
	}
	in, rs, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	tname, aerr := c.p.required("InstanceType")
	if aerr != nil {
		return nil, aerr
	}
	nt := instanceTypeByID[tname]
	if nt == nil {
		return nil, errNotFound("InvalidInstanceType.NotFound", "InstanceType")
	}
	op, aerr := c.p.oneOf("OperatorType", "upgrade", "upgrade", "downgrade")
	if aerr != nil {
		return nil, aerr
	}
	if in.ChargeType != prePaid {
		return nil, errf(http.StatusForbidden, "InvalidInstanceChargeType.ValueNotSupported", "ModifyPrepayInstanceSpec only changes subscription instances.")
	}
	if tname == in.Type {
		return nil, errf(http.StatusBadRequest, "InvalidInstanceType.ValueUnchanged", "The specified instance type is the same as the current one.")
	}
	old := instanceTypeByID[in.Type]
	disks := instanceDisks(rs, in)
	oldM, newM := monthlyMicro(in.Region, old, disks, in.Bandwidth), monthlyMicro(in.Region, nt, disks, in.Bandwidth)
	if op == "upgrade" && newM < oldM || op == "downgrade" && newM > oldM {
		return nil, errf(http.StatusBadRequest, "InvalidInstanceType.NotSupported"+map[string]string{"upgrade": "Upgrade", "downgrade": "Downgrade"}[op],
			"The specified instance type is not a valid %s from %s.", op, in.Type)
	}
	if delta := nt.CPU - old.CPU; delta > 0 {
		if qerr := c.acct.checkQuota(0, delta); qerr != nil {
			return nil, qerr
		}
	}
	months := max(1, int(in.ExpiredTime.Sub(c.now).Hours()/730+0.999))
	var o Order
	if newM > oldM {
		gross := (newM - oldM) * int64(months)
		o = Order{ID: c.s.st.orderID(), At: c.now, Months: months, Gross: gross, Discount: int64(float64(gross) * c.acct.Discount)}
		if cost := o.Gross - o.Discount; cost > c.acct.available(c.now) {
			return nil, errf(http.StatusForbidden, "InvalidAccountStatus.NotEnoughBalance", "Your account does not have enough balance. Required: %s CNY.", fmtMoney(cost))
		}
	} else {
		o = Order{ID: c.s.st.orderID(), At: c.now, Months: months}
	}
	c.acct.vcpus += nt.CPU - old.CPU
	in.Type = nt.ID
	in.Orders = append(in.Orders, o)
	c.acct.pay(o)
	return obj{"RequestId": c.id, "OrderId": o.ID}, nil
}

func ecsModifyInstanceAttribute(c *call) (any, *apiError) {
	in, _, aerr := c.findInstance(c.p.str("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	name, aerr := c.optName("InstanceName", "InvalidInstanceName.Malformed")
	if aerr != nil {
		return nil, aerr
	}
	host := c.p.str("HostName")
	if host != "" && !validHostName(host) {
		return nil, errf(http.StatusBadRequest, "InvalidHostName.Malformed", "The specified parameter HostName is not valid.")
	}
	if pw := c.p.str("Password"); pw != "" && !validPassword(pw) {
		return nil, errf(http.StatusBadRequest, "InvalidPassword.Malformed", "The specified parameter Password is not valid.")
	}
	if c.p.has("Description") {
		desc, aerr := c.optDescription()
		if aerr != nil {
			return nil, aerr
		}
		in.Description = desc
	}
	if c.p.has("DeletionProtection") {
		dp, aerr := c.p.boolean("DeletionProtection")
		if aerr != nil {
			return nil, aerr
		}
		in.DeletionProtection = dp
	}
	if name != "" {
		in.Name = name
	}
	if host != "" {
		in.HostName = host
	}
	return obj{"RequestId": c.id}, nil
}
