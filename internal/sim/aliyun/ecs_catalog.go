package aliyunsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ECS catalog actions: regions, zones, instance types, images, availability,
// prices and account attributes.

const (
	ecsTimeMinute = "2006-01-02T15:04Z"
	ecsTimeSecond = "2006-01-02T15:04:05Z"
)

func ecsDescribeRegions(c *call) (any, *apiError) {
	lang, aerr := c.p.oneOf("AcceptLanguage", "zh-CN", "zh-CN", "en-US", "ja")
	if aerr != nil {
		return nil, aerr
	}
	out := make([]obj, 0, len(regions))
	for _, r := range regions {
		name := r.LocalName
		if lang != "zh-CN" {
			name = r.EnName
		}
		// The endpoint a client should use is this simulator, whatever the region.
		out = append(out, obj{"RegionId": r.ID, "LocalName": name, "RegionEndpoint": c.r.Host, "Status": "available"})
	}
	return obj{"RequestId": c.id, "Regions": obj{"Region": out}}, nil
}

func ecsDescribeZones(c *call) (any, *apiError) {
	rid, _, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	verbose := true
	if c.p.has("Verbose") {
		if verbose, aerr = c.p.boolean("Verbose"); aerr != nil {
			return nil, aerr
		}
	}
	r := regionByID[rid]
	var types []string
	for _, t := range instanceTypes {
		types = append(types, t.ID)
	}
	var zones []obj
	for _, z := range zoneIDs(r) {
		zo := obj{
			"ZoneId":                      z,
			"LocalName":                   zoneLocalName(z),
			"ZoneType":                    "AvailabilityZone",
			"AvailableResourceCreation":   obj{"ResourceTypes": []string{"VSwitch", "IoOptimized", "Instance", "Disk", "DedicatedHost"}},
			"AvailableDiskCategories":     obj{"DiskCategories": diskCategories},
			"AvailableVolumeCategories":   obj{"VolumeCategories": []string{"cloud_efficiency", "cloud_ssd", "cloud_essd"}},
			"AvailableDedicatedHostTypes": obj{"DedicatedHostType": []string{}},
			"DedicatedHostGenerations":    obj{"DedicatedHostGeneration": []string{}},
		}
		if verbose {
			zo["AvailableInstanceTypes"] = obj{"InstanceTypes": types}
			zo["AvailableResources"] = obj{"ResourcesInfo": []obj{{
				"IoOptimized":          true,
				"InstanceTypes":        obj{"supportedInstanceType": types},
				"InstanceTypeFamilies": obj{"supportedInstanceTypeFamily": familyNames()},
				"InstanceGenerations":  obj{"supportedInstanceGeneration": []string{"ecs-4", "ecs-5", "ecs-6", "ecs-7"}},
				"SystemDiskCategories": obj{"supportedSystemDiskCategory": diskCategories},
				"DataDiskCategories":   obj{"supportedDataDiskCategory": diskCategories},
				"NetworkTypes":         obj{"supportedNetworkCategory": []string{"vpc"}},
			}}}
		} else {
			zo["AvailableInstanceTypes"] = obj{"InstanceTypes": []string{}}
		}
		zones = append(zones, zo)
	}
	return obj{"RequestId": c.id, "Zones": obj{"Zone": zones}}, nil
}

func familyNames() []string {
	var out []string
	for _, f := range familyIDs() {
		out = append(out, f[0])
	}
	return out
}

func instanceTypeOut(t *InstanceType) obj {
	level := "EnterpriseLevel"
	if t.Family == "ecs.s6" {
		level = "EntryLevel"
	}
	if t.Burstable {
		level = "CreditEntryLevel"
	}
	o := obj{
		"InstanceTypeId":              t.ID,
		"InstanceTypeFamily":          t.Family,
		"InstanceCategory":            t.Category,
		"InstanceFamilyLevel":         level,
		"CpuCoreCount":                t.CPU,
		"MemorySize":                  t.MemoryGiB,
		"GPUAmount":                   t.GPU,
		"GPUSpec":                     t.GPUSpec,
		"CpuArchitecture":             "X86",
		"PhysicalProcessorModel":      "Intel Xeon(Ice Lake) Platinum 8369B",
		"CpuSpeedFrequency":           2.7,
		"CpuTurboFrequency":           3.5,
		"InstanceBandwidthRx":         t.BandwidthK,
		"InstanceBandwidthTx":         t.BandwidthK,
		"InstancePpsRx":               t.PPS,
		"InstancePpsTx":               t.PPS,
		"EniQuantity":                 t.ENIs,
		"EniPrivateIpAddressQuantity": 6,
		"EniIpv6AddressQuantity":      1,
		"EniTotalQuantity":            t.ENIs * 2,
		"DiskQuantity":                17,
		"LocalStorageCategory":        "",
		"NvmeSupport":                 "required",
		"CpuOptions":                  obj{"Core": max(1, t.CPU/2), "ThreadsPerCore": min(2, t.CPU), "HyperThreadingAdjustable": false, "CoreFactor": 2},
		"SupportedBootModes":          obj{"SupportedBootMode": []string{"BIOS", "UEFI"}},
	}
	if t.Burstable {
		o["BaselineCredit"] = 10
		o["InitialCredit"] = 30 * t.CPU
	}
	return o
}

func ecsDescribeInstanceTypes(c *call) (any, *apiError) {
	ids, aerr := c.p.list("InstanceTypes", 10)
	if aerr != nil {
		return nil, aerr
	}
	fams, aerr := c.p.list("InstanceTypeFamilies", 10)
	if aerr != nil {
		return nil, aerr
	}
	if f := c.p.str("InstanceTypeFamily"); f != "" {
		fams = append(fams, f)
	}
	minCPU, aerr := c.p.integer("MinimumCpuCoreCount", 0, 0, 1<<20)
	if aerr != nil {
		return nil, aerr
	}
	maxCPU, aerr := c.p.integer("MaximumCpuCoreCount", 1<<20, 0, 1<<20)
	if aerr != nil {
		return nil, aerr
	}
	maxResults, aerr := c.p.integer("MaxResults", 1600, 1, 1600)
	if aerr != nil {
		return nil, aerr
	}
	start := 0
	if tok := c.p.str("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "it-"))
		if err != nil || !strings.HasPrefix(tok, "it-") || n < 0 {
			return nil, errf(http.StatusBadRequest, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
		}
		start = n
	}
	want := func(t *InstanceType) bool {
		if len(ids) > 0 && !contains(ids, t.ID) {
			return false
		}
		if len(fams) > 0 && !contains(fams, t.Family) {
			return false
		}
		return t.CPU >= minCPU && t.CPU <= maxCPU
	}
	var out []obj
	next := ""
	n := 0
	for i := range instanceTypes {
		t := &instanceTypes[i]
		if !want(t) {
			continue
		}
		if n >= start {
			if len(out) == maxResults {
				next = "it-" + strconv.Itoa(n)
				break
			}
			out = append(out, instanceTypeOut(t))
		}
		n++
	}
	if out == nil {
		out = []obj{}
	}
	return obj{"RequestId": c.id, "NextToken": next, "InstanceTypes": obj{"InstanceType": out}}, nil
}

func ecsDescribeInstanceTypeFamilies(c *call) (any, *apiError) {
	if _, _, aerr := c.lookupRegion(); aerr != nil {
		return nil, aerr
	}
	gen := c.p.str("Generation")
	var out []obj
	for _, f := range familyIDs() {
		if gen != "" && f[1] != gen {
			continue
		}
		out = append(out, obj{"InstanceTypeFamilyId": f[0], "Generation": f[1]})
	}
	if out == nil {
		out = []obj{}
	}
	return obj{"RequestId": c.id, "InstanceTypeFamilies": obj{"InstanceTypeFamily": out}}, nil
}

// lookupImage finds a public image or one of the account's custom images.
func (c *call) lookupImage(rs *regionState, id string) (*Image, bool) {
	if im := publicImageByID[id]; im != nil {
		return im, true
	}
	if ci, ok := rs.Images.get(id); ok {
		return &ci.Image, true
	}
	return nil, false
}

func imageOut(c *call, im *Image, region string, tags []Tag) obj {
	public := im.Owner == "system"
	var owner any = int64(1)
	if !public {
		owner, _ = strconv.ParseInt(c.acct.ID, 10, 64)
	}
	alias := "system"
	if !public {
		alias = "self"
	}
	return obj{
		"ImageId": im.ID, "ImageName": im.Name, "ImageOwnerAlias": alias, "ImageOwnerId": owner,
		"OSName": im.OSName, "OSNameEn": im.OSNameEn, "OSType": im.OSType, "Platform": im.Platform,
		"Architecture": im.Architecture, "Size": im.Size, "Status": "Available", "Progress": "100%",
		"CreationTime": im.Created.UTC().Format(ecsTimeSecond), "IsPublic": public, "IsCopied": false,
		"IsSelfShared": "", "IsSubscribed": false, "IsSupportCloudinit": true, "IsSupportIoOptimized": true,
		"Usage": "instance", "Description": im.Description, "BootMode": "BIOS", "ImageVersion": "",
		"ImageFamily": "", "ProductCode": "", "LoginAsNonRootSupported": im.OSType == "linux",
		"DiskDeviceMappings": obj{"DiskDeviceMapping": []obj{{"Device": "/dev/xvda", "Size": strconv.Itoa(im.Size), "Type": "system", "Format": "", "SnapshotId": ""}}},
		"Tags":               ecsTags(tags),
	}
}

type imageRef struct {
	im   *Image
	tags []Tag
	seq  Meta
}

func (r *imageRef) meta() *Meta { return &r.seq }

func ecsDescribeImages(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("ImageId", 100)
	if aerr != nil {
		return nil, aerr
	}
	alias, aerr := c.p.oneOf("ImageOwnerAlias", "", "system", "self", "others", "marketplace")
	if aerr != nil {
		return nil, aerr
	}
	status := c.p.str("Status")
	if status == "" {
		status = "Available"
	}
	name, osType, arch := c.p.str("ImageName"), c.p.str("OSType"), c.p.str("Architecture")
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	var all []*imageRef
	if alias == "" || alias == "system" {
		for i := range publicImages {
			all = append(all, &imageRef{im: &publicImages[i], seq: Meta{Seq: int64(i)}})
		}
	}
	if alias == "" || alias == "self" {
		for _, ci := range rs.Images.order {
			all = append(all, &imageRef{im: &ci.Image, tags: ci.Tags, seq: Meta{Seq: int64(len(publicImages)) + ci.Seq}})
		}
	}
	keep := func(r *imageRef) bool {
		if len(ids) > 0 && !contains(ids, r.im.ID) {
			return false
		}
		if name != "" && !strings.Contains(r.im.Name, strings.Trim(name, "*")) {
			return false
		}
		if osType != "" && r.im.OSType != osType {
			return false
		}
		if arch != "" && r.im.Architecture != arch {
			return false
		}
		if !strings.Contains(status, "Available") {
			return false
		}
		return tagsMatch(r.tags, tags)
	}
	page, size, aerr := c.p.paging(10, 100)
	if aerr != nil {
		return nil, aerr
	}
	items, total := pageOf(all, keep, page, size)
	out := make([]obj, 0, len(items))
	for _, r := range items {
		out = append(out, imageOut(c, r.im, rid, r.tags))
	}
	return obj{"RequestId": c.id, "RegionId": rid, "TotalCount": total, "PageNumber": page, "PageSize": size,
		"Images": obj{"Image": out}}, nil
}

func ecsDescribeAvailableResource(c *call) (any, *apiError) {
	rid, _, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	dest, aerr := c.p.required("DestinationResource")
	if aerr != nil {
		return nil, aerr
	}
	switch dest {
	case "Zone", "IoOptimized", "InstanceType", "SystemDisk", "DataDisk", "Network", "ddh", "InstanceTypeFamily":
	default:
		return nil, errf(http.StatusBadRequest, "Invalid.DestinationResource", "The specified DestinationResource is not valid.")
	}
	if _, aerr := c.p.oneOf("InstanceChargeType", "PostPaid", "PostPaid", "PrePaid"); aerr != nil {
		return nil, aerr
	}
	zone := c.p.str("ZoneId")
	if zone != "" && (zoneRegion(zone) == nil || zoneRegion(zone).ID != rid) {
		return nil, errf(http.StatusBadRequest, "InvalidZoneId.NotFound", "The specified zone does not exist.")
	}
	itype := c.p.str("InstanceType")
	if itype != "" && instanceTypeByID[itype] == nil {
		return nil, errNotFound("InvalidInstanceType.NotFound", "InstanceType")
	}
	supported := func(values []string, unit string, lo, hi int) obj {
		var out []obj
		for _, v := range values {
			o := obj{"Value": v, "Status": "Available", "StatusCategory": "WithStock"}
			if unit != "" {
				o["Unit"], o["Min"], o["Max"] = unit, lo, hi
			}
			out = append(out, o)
		}
		return obj{"SupportedResource": out}
	}
	var zones []obj
	for _, z := range zoneIDs(regionByID[rid]) {
		if zone != "" && z != zone {
			continue
		}
		var res []obj
		switch dest {
		case "Zone":
			res = append(res, obj{"Type": "Zone", "SupportedResources": supported([]string{z}, "", 0, 0)})
		case "IoOptimized":
			res = append(res, obj{"Type": "IoOptimized", "SupportedResources": supported([]string{"optimized"}, "", 0, 0)})
		case "InstanceType", "InstanceTypeFamily":
			var ids []string
			for _, t := range instanceTypes {
				if itype == "" || t.ID == itype {
					if dest == "InstanceType" {
						ids = append(ids, t.ID)
					} else if !contains(ids, t.Family) {
						ids = append(ids, t.Family)
					}
				}
			}
			res = append(res, obj{"Type": dest, "SupportedResources": supported(ids, "", 0, 0)})
		case "SystemDisk":
			res = append(res, obj{"Type": "SystemDisk", "SupportedResources": supported(diskCategories, "GiB", 20, 2048)})
		case "DataDisk":
			res = append(res, obj{"Type": "DataDisk", "SupportedResources": supported(diskCategories, "GiB", 20, 32768)})
		case "Network":
			res = append(res, obj{"Type": "Network", "SupportedResources": supported([]string{"vpc"}, "", 0, 0)})
		case "ddh":
			res = append(res, obj{"Type": "ddh", "SupportedResources": supported([]string{}, "", 0, 0)})
		}
		zones = append(zones, obj{"RegionId": rid, "ZoneId": z, "Status": "Available", "StatusCategory": "WithStock",
			"AvailableResources": obj{"AvailableResource": res}})
	}
	if zones == nil {
		zones = []obj{}
	}
	return obj{"RequestId": c.id, "AvailableZones": obj{"AvailableZone": zones}}, nil
}

func ecsDescribeAccountAttributes(c *call) (any, *apiError) {
	if _, _, aerr := c.lookupRegion(); aerr != nil {
		return nil, aerr
	}
	names, aerr := c.p.list("AttributeName", 20)
	if aerr != nil {
		return nil, aerr
	}
	a := c.acct
	attrs := []struct {
		name  string
		value string
	}{
		{"max-security-groups", "800"},
		{"max-elastic-network-interfaces", "10000"},
		{"max-postpaid-instance-vcpu-count", strconv.Itoa(a.MaxVCPUs)},
		{"used-postpaid-instance-vcpu-count", strconv.Itoa(a.vcpus)},
		{"max-spot-instance-vcpu-count", strconv.Itoa(a.MaxVCPUs)},
		{"used-spot-instance-vcpu-count", "0"},
		{"max-instance-count", strconv.Itoa(a.MaxInstances)},
		{"used-instance-count", strconv.Itoa(a.instances)},
		{"max-postpaid-yundisk-capacity", "2000000"},
		{"used-postpaid-yundisk-capacity", "0"},
		{"max-dedicated-hosts", "100"},
		{"supported-postpaid-instance-types", ""},
		{"real-name-authentication", "yes"},
		{"instance-network-type", "vpc"},
	}
	var out []obj
	for _, at := range attrs {
		if len(names) > 0 && !contains(names, at.name) {
			continue
		}
		out = append(out, obj{"AttributeName": at.name, "AttributeValues": obj{"ValueItem": []obj{{"Value": at.value, "Count": 1}}}})
	}
	if out == nil {
		out = []obj{}
	}
	return obj{"RequestId": c.id, "AccountAttributeItems": obj{"AccountAttributeItem": out}}, nil
}

// ecsDescribePrice quotes the list price of an instance configuration.
func ecsDescribePrice(c *call) (any, *apiError) {
	rid, _, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.p.oneOf("ResourceType", "instance", "instance", "disk", "bandwidth"); aerr != nil {
		return nil, aerr
	}
	unit, aerr := c.p.oneOf("PriceUnit", "Hour", "Hour", "Week", "Month", "Year")
	if aerr != nil {
		return nil, aerr
	}
	period, aerr := c.p.integer("Period", 1, 1, 60)
	if aerr != nil {
		return nil, aerr
	}
	amount, aerr := c.p.integer("Amount", 1, 1, 1000)
	if aerr != nil {
		return nil, aerr
	}
	tname := c.p.str("InstanceType")
	var t *InstanceType
	if tname != "" {
		if t = instanceTypeByID[tname]; t == nil {
			return nil, errNotFound("InvalidInstanceType.NotFound", "InstanceType")
		}
	}
	sysCat := c.p.str("SystemDisk.Category")
	if sysCat == "" {
		sysCat = "cloud_efficiency"
	}
	sysSize, aerr := c.p.integer("SystemDisk.Size", 40, 20, 2048)
	if aerr != nil {
		return nil, aerr
	}
	hourInst, hourDisk := 0.0, regionPrice(rid, diskPricePerGiBMonth[sysCat]*float64(sysSize)/730)
	if t != nil {
		hourInst = regionPrice(rid, t.HourlyCNY)
	}
	var hours float64
	switch unit {
	case "Hour":
		hours = float64(period)
	case "Week":
		hours = 168 * float64(period)
	case "Month":
		hours = 730 * float64(period)
	case "Year":
		hours = 8760 * float64(period)
	}
	inst := hourInst * hours
	if unit != "Hour" && t != nil {
		inst = regionPrice(rid, t.MonthlyCNY()) * hours / 730
	}
	disk := hourDisk * hours
	orig := (inst + disk) * float64(amount)
	disc := orig * c.acct.Discount
	return obj{"RequestId": c.id, "PriceInfo": obj{
		"Price": obj{"Currency": "CNY", "OriginalPrice": round2(orig), "DiscountPrice": round2(disc), "TradePrice": round2(orig - disc),
			"DetailInfos": obj{"DetailInfo": []obj{
				{"Resource": "instanceType", "OriginalPrice": round2(inst * float64(amount)), "DiscountPrice": round2(inst * float64(amount) * c.acct.Discount), "TradePrice": round2(inst * float64(amount) * (1 - c.acct.Discount))},
				{"Resource": "systemDisk", "OriginalPrice": round2(disk * float64(amount)), "DiscountPrice": round2(disk * float64(amount) * c.acct.Discount), "TradePrice": round2(disk * float64(amount) * (1 - c.acct.Discount))},
			}}},
		"Rules": obj{"Rule": []obj{{"RuleId": 1, "Description": "enterprise discount"}}},
	}}, nil
}

func round2(f float64) float64 {
	if f < 0 {
		return -round2(-f)
	}
	return float64(int64(f*100+0.5)) / 100
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// ecsTags renders tags the way ECS does: {"Tag":[{"TagKey","TagValue"}]}.
func ecsTags(tags []Tag) obj {
	out := make([]obj, 0, len(tags))
	for _, t := range tags {
		out = append(out, obj{"TagKey": t.Key, "TagValue": t.Value})
	}
	return obj{"Tag": out}
}

// vpcTags renders tags the way VPC does: {"Tag":[{"Key","Value"}]}.
func vpcTags(tags []Tag) obj {
	out := make([]obj, 0, len(tags))
	for _, t := range tags {
		out = append(out, obj{"Key": t.Key, "Value": t.Value})
	}
	return obj{"Tag": out}
}

// tagsMatch reports whether have carries every wanted key (and value, when
// the filter gives one).
func tagsMatch(have []Tag, want []Tag) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Key == w.Key && (w.Value == "" || h.Value == w.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func fmtTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}
