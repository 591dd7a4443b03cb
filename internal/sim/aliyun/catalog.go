package aliyunsim

import (
	"sort"
	"strings"
	"time"
)

// The catalog: regions, zones, instance types, public images, disk categories
// and list prices. It is fixed data, shared by every account.

// Region is one Aliyun region.
type Region struct {
	ID        string
	LocalName string // Chinese name, as DescribeRegions returns by default
	EnName    string // AcceptLanguage=en-US
	Short     string // prefix for zone local names, e.g. "华北 2"
	IDPrefix  string // letters Aliyun puts after "i-" for this region
	Zones     []string
	PriceX    float64 // price multiplier relative to the mainland base
}

var regions = []Region{
	{"cn-qingdao", "华北1（青岛）", "China (Qingdao)", "华北 1", "m5e", []string{"b", "c"}, 1.0},
	{"cn-beijing", "华北2（北京）", "China (Beijing)", "华北 2", "2ze", []string{"g", "h", "i", "j", "k", "l"}, 1.0},
	{"cn-zhangjiakou", "华北3（张家口）", "China (Zhangjiakou)", "华北 3", "8vb", []string{"a", "b", "c"}, 0.95},
	{"cn-huhehaote", "华北5（呼和浩特）", "China (Hohhot)", "华北 5", "hp3", []string{"a", "b"}, 0.9},
	{"cn-hangzhou", "华东1（杭州）", "China (Hangzhou)", "华东 1", "bp1", []string{"g", "h", "i", "j", "k"}, 1.0},
	{"cn-shanghai", "华东2（上海）", "China (Shanghai)", "华东 2", "uf6", []string{"e", "f", "g", "l", "m"}, 1.0},
	{"cn-shenzhen", "华南1（深圳）", "China (Shenzhen)", "华南 1", "wz9", []string{"c", "d", "e", "f"}, 1.0},
	{"cn-chengdu", "西南1（成都）", "China (Chengdu)", "西南 1", "2vc", []string{"a", "b"}, 0.95},
	{"cn-hongkong", "中国香港", "China (Hong Kong)", "香港", "j6c", []string{"b", "c", "d"}, 1.3},
	{"ap-southeast-1", "新加坡", "Singapore", "新加坡", "t4n", []string{"a", "b", "c"}, 1.25},
	{"us-west-1", "美国（硅谷）", "US (Silicon Valley)", "美国西部 1", "rj9", []string{"a", "b"}, 1.2},
	{"eu-central-1", "德国（法兰克福）", "Germany (Frankfurt)", "欧洲中部 1", "gw8", []string{"a", "b"}, 1.3},
}

var regionByID = func() map[string]*Region {
	m := make(map[string]*Region, len(regions))
	for i := range regions {
		m[regions[i].ID] = &regions[i]
	}
	return m
}()

// defaultPopulateRegions are used by Populate when none are given.
var defaultPopulateRegions = []string{"cn-hangzhou", "cn-beijing", "cn-shanghai", "cn-shenzhen"}

func zoneIDs(r *Region) []string {
	out := make([]string, len(r.Zones))
	for i, z := range r.Zones {
		out[i] = r.ID + "-" + z
	}
	return out
}

// zoneRegion returns the region of a zone id, or nil.
func zoneRegion(zone string) *Region {
	i := strings.LastIndexByte(zone, '-')
	if i <= 0 {
		return nil
	}
	r := regionByID[zone[:i]]
	if r == nil {
		return nil
	}
	for _, z := range r.Zones {
		if z == zone[i+1:] {
			return r
		}
	}
	return nil
}

func zoneLocalName(zone string) string {
	r := zoneRegion(zone)
	if r == nil {
		return zone
	}
	return r.Short + " 可用区 " + strings.ToUpper(zone[len(r.ID)+1:])
}

// InstanceType is one ECS instance type with its list price in the base region.
type InstanceType struct {
	ID         string
	Family     string
	Generation string
	Category   string // General-purpose, Compute-optimized, ...
	CPU        int
	MemoryGiB  float64
	GPU        int
	GPUSpec    string
	Burstable  bool
	HourlyCNY  float64 // pay-as-you-go list price per hour, base region
	BandwidthK int     // intranet bandwidth, kbit/s
	PPS        int64
	ENIs       int
}

// MonthlyCNY is the subscription list price of one month: Aliyun prices a
// month of subscription well below 730 pay-as-you-go hours.
func (t *InstanceType) MonthlyCNY() float64 { return t.HourlyCNY * 730 * 0.6 }

type familySpec struct {
	family, generation, category string
	memPerCPU                    float64
	cpuPrice, memPrice           float64 // CNY per vCPU-hour and per GiB-hour
	sizes                        []int   // vCPUs
}

var sizeNames = map[int]string{2: "large", 4: "xlarge", 8: "2xlarge", 12: "3xlarge", 16: "4xlarge", 24: "6xlarge", 32: "8xlarge", 48: "12xlarge", 64: "16xlarge"}

var families = []familySpec{
	{"ecs.g6", "ecs-5", "General-purpose", 4, 0.128, 0.032, []int{2, 4, 8, 12, 16, 24, 32, 64}},
	{"ecs.c6", "ecs-5", "Compute-optimized", 2, 0.13, 0.033, []int{2, 4, 8, 12, 16, 24, 32, 64}},
	{"ecs.r6", "ecs-5", "Memory-optimized", 8, 0.12, 0.03, []int{2, 4, 8, 12, 16, 24, 32, 64}},
	{"ecs.g7", "ecs-6", "General-purpose", 4, 0.135, 0.034, []int{2, 4, 8, 12, 16, 24, 32, 48, 64}},
	{"ecs.c7", "ecs-6", "Compute-optimized", 2, 0.138, 0.035, []int{2, 4, 8, 12, 16, 24, 32, 48, 64}},
	{"ecs.r7", "ecs-6", "Memory-optimized", 8, 0.126, 0.031, []int{2, 4, 8, 12, 16, 24, 32, 48, 64}},
	{"ecs.g8i", "ecs-7", "General-purpose", 4, 0.142, 0.036, []int{2, 4, 8, 12, 16, 24, 32, 48, 64}},
}

var instanceTypes = buildInstanceTypes()

var instanceTypeByID = func() map[string]*InstanceType {
	m := make(map[string]*InstanceType, len(instanceTypes))
	for i := range instanceTypes {
		m[instanceTypes[i].ID] = &instanceTypes[i]
	}
	return m
}()

func buildInstanceTypes() []InstanceType {
	var out []InstanceType
	for _, f := range families {
		for _, cpu := range f.sizes {
			mem := float64(cpu) * f.memPerCPU
			out = append(out, InstanceType{
				ID: f.family + "." + sizeNames[cpu], Family: f.family, Generation: f.generation, Category: f.category,
				CPU: cpu, MemoryGiB: mem, HourlyCNY: round4(float64(cpu)*f.cpuPrice + mem*f.memPrice),
				BandwidthK: 1000000 * min(cpu, 32) / 2, PPS: int64(300000 * min(cpu, 32)), ENIs: min(2+cpu/2, 15),
			})
		}
	}
	shared := []struct {
		id       string
		cpu      int
		mem      float64
		price    float64
		burst    bool
		family   string
		category string
	}{
		{"ecs.s6-c1m1.small", 1, 1, 0.085, false, "ecs.s6", "Shared"},
		{"ecs.s6-c1m2.small", 1, 2, 0.115, false, "ecs.s6", "Shared"},
		{"ecs.s6-c1m4.small", 1, 4, 0.17, false, "ecs.s6", "Shared"},
		{"ecs.s6-c1m2.large", 2, 4, 0.23, false, "ecs.s6", "Shared"},
		{"ecs.s6-c1m4.large", 2, 8, 0.34, false, "ecs.s6", "Shared"},
		{"ecs.s6-c1m2.xlarge", 4, 8, 0.46, false, "ecs.s6", "Shared"},
		{"ecs.t6-c1m1.large", 2, 2, 0.072, true, "ecs.t6", "Burstable"},
		{"ecs.t6-c1m2.large", 2, 4, 0.1, true, "ecs.t6", "Burstable"},
		{"ecs.t6-c1m4.large", 2, 8, 0.16, true, "ecs.t6", "Burstable"},
	}
	for _, s := range shared {
		out = append(out, InstanceType{ID: s.id, Family: s.family, Generation: "ecs-5", Category: s.category,
			CPU: s.cpu, MemoryGiB: s.mem, Burstable: s.burst, HourlyCNY: s.price, BandwidthK: 100000 * s.cpu, PPS: 100000, ENIs: 2})
	}
	out = append(out,
		InstanceType{ID: "ecs.gn6i-c4g1.xlarge", Family: "ecs.gn6i", Generation: "ecs-4", Category: "GPU", CPU: 4, MemoryGiB: 15, GPU: 1, GPUSpec: "NVIDIA T4", HourlyCNY: 11.75, BandwidthK: 4000000, PPS: 2500000, ENIs: 2},
		InstanceType{ID: "ecs.gn6i-c8g1.2xlarge", Family: "ecs.gn6i", Generation: "ecs-4", Category: "GPU", CPU: 8, MemoryGiB: 31, GPU: 1, GPUSpec: "NVIDIA T4", HourlyCNY: 14.28, BandwidthK: 5000000, PPS: 2500000, ENIs: 2},
	)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// familyIDs lists the instance-type families with their generation.
func familyIDs() [][2]string {
	seen := map[string]string{}
	for _, t := range instanceTypes {
		seen[t.Family] = t.Generation
	}
	out := make([][2]string, 0, len(seen))
	for f, g := range seen {
		out = append(out, [2]string{f, g})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Image is a public image (Region "" and Owner "system") or a custom one.
type Image struct {
	ID           string
	Name         string
	OSName       string
	OSNameEn     string
	OSType       string // linux | windows
	Platform     string
	Architecture string
	Size         int // GiB, the minimum system disk
	Owner        string
	Created      time.Time
	Description  string
}

var publicImages = []Image{
	{ID: "centos_7_9_x64_20G_alibase_20240628.vhd", OSName: "CentOS  7.9 64位", OSNameEn: "CentOS  7.9 64 bit", OSType: "linux", Platform: "CentOS", Size: 20},
	{ID: "centos_7_6_x64_20G_alibase_20211030.vhd", OSName: "CentOS  7.6 64位", OSNameEn: "CentOS  7.6 64 bit", OSType: "linux", Platform: "CentOS", Size: 20},
	{ID: "ubuntu_22_04_x64_20G_alibase_20240710.vhd", OSName: "Ubuntu  22.04 64位", OSNameEn: "Ubuntu  22.04 64 bit", OSType: "linux", Platform: "Ubuntu", Size: 20},
	{ID: "ubuntu_20_04_x64_20G_alibase_20240710.vhd", OSName: "Ubuntu  20.04 64位", OSNameEn: "Ubuntu  20.04 64 bit", OSType: "linux", Platform: "Ubuntu", Size: 20},
	{ID: "aliyun_3_x64_20G_alibase_20240528.vhd", OSName: "Alibaba Cloud Linux  3.2104 LTS 64位", OSNameEn: "Alibaba Cloud Linux  3.2104 LTS 64 bit", OSType: "linux", Platform: "Aliyun", Size: 20},
	{ID: "debian_12_6_x64_20G_alibase_20240715.vhd", OSName: "Debian  12.6 64位", OSNameEn: "Debian  12.6 64 bit", OSType: "linux", Platform: "Debian", Size: 20},
	{ID: "rockylinux_9_4_x64_20G_alibase_20240628.vhd", OSName: "Rocky Linux  9.4 64位", OSNameEn: "Rocky Linux  9.4 64 bit", OSType: "linux", Platform: "Rocky Linux", Size: 20},
	{ID: "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240716.vhd", OSName: "Windows Server  2022 数据中心版 64位中文版", OSNameEn: "Windows Server  2022 Data Center Edition 64bit Chinese Edition", OSType: "windows", Platform: "Windows Server 2022", Size: 40},
}

var publicImageByID = func() map[string]*Image {
	m := map[string]*Image{}
	base := time.Date(2024, 7, 16, 0, 0, 0, 0, time.UTC)
	for i := range publicImages {
		im := &publicImages[i]
		im.Name = strings.TrimSuffix(im.ID, ".vhd")
		im.Architecture = "x86_64"
		im.Owner = "system"
		im.Created = base.Add(-time.Duration(i) * 24 * time.Hour)
		im.Description = im.OSNameEn
		m[im.ID] = im
	}
	return m
}()

// diskCategories and their list price per GiB-month.
var diskPricePerGiBMonth = map[string]float64{
	"cloud":            0.3,
	"cloud_efficiency": 0.35,
	"cloud_ssd":        1.0,
	"cloud_essd":       1.0,
	"cloud_auto":       1.0,
	"cloud_essd_entry": 0.5,
}

var diskCategories = []string{"cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry"}

// Other list prices (base region).
const (
	eipHourlyCNY            = 0.02  // EIP reservation per hour
	bandwidthPerMbpsHourCNY = 0.063 // PayByBandwidth, per Mbps-hour
	ossPerGiBMonthCNY       = 0.12
)

func round4(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// regionPrice applies the region multiplier to a base list price.
func regionPrice(region string, base float64) float64 {
	if r := regionByID[region]; r != nil {
		return base * r.PriceX
	}
	return base
}

func fmtMiB(gib float64) int { return int(gib * 1024) }
