package aliyunsim

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// PopulateOptions says what Populate creates.
type PopulateOptions struct {
	Instances int
	Regions   []string // empty = a few default
	IdleShare float64
	Buckets   int
	DBs       int
	Caches    int
	Kafkas    int
}

// Populate bulk-creates a realistic estate for the account of accessKeyID:
// per region a VPC with vSwitches across zones and security groups, then
// instances (with disks and NICs) spread over the regions, created over the
// last 90 days and already Running (a few Stopped), some with public IPs or
// EIPs, a mix of pay-as-you-go and subscription; plus unattached disks and
// idle EIPs, buckets, RDS, Redis and Kafka instances. The account is topped
// up by the cost of that history, so its available balance is unchanged.
func (s *Server) Populate(accessKeyID string, opt PopulateOptions) error {
	if opt.Instances < 0 || opt.Buckets < 0 || opt.DBs < 0 || opt.Caches < 0 || opt.Kafkas < 0 {
		return fmt.Errorf("aliyunsim: populate: negative count")
	}
	if opt.IdleShare < 0 || opt.IdleShare > 1 {
		return fmt.Errorf("aliyunsim: populate: idle share %v is outside 0..1", opt.IdleShare)
	}
	regs := opt.Regions
	if len(regs) == 0 {
		regs = defaultPopulateRegions
	}
	for _, r := range regs {
		if regionByID[r] == nil {
			return fmt.Errorf("aliyunsim: populate: unknown region %q", r)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ke, ok := s.st.keys[accessKeyID]
	if !ok {
		return fmt.Errorf("aliyunsim: populate: unknown access key %q", accessKeyID)
	}
	a := ke.acct
	if a.instances+opt.Instances > a.MaxInstances {
		return fmt.Errorf("aliyunsim: populate: %d more instances exceed the account's quota of %d (%d in use)", opt.Instances, a.MaxInstances, a.instances)
	}
	now := s.now()
	p := &populator{s: s, st: s.st, a: a, now: now, opt: opt}
	before := a.available(now)
	if err := p.run(regs); err != nil {
		return err
	}
	if after := a.available(now); after < before {
		a.Balance += before - after
	}
	s.markDirty()
	s.log.Info("aliyunsim: populated", "account", a.ID, "instances", opt.Instances, "regions", len(regs), "took", time.Since(p.started))
	return nil
}

type populator struct {
	s       *Server
	st      *state
	a       *account
	now     time.Time
	opt     PopulateOptions
	started time.Time
	n       int // running counter for names and hashes
}

// regionNet is the network Populate builds in a region.
type regionNet struct {
	vpc  *VPC
	vsws []*VSwitch
	sgs  []*SecurityGroup
	imgs []*Image
}

var popTypes = []struct {
	id     string
	weight int
}{
	{"ecs.g6.large", 18}, {"ecs.g6.xlarge", 12}, {"ecs.c6.large", 10}, {"ecs.c6.xlarge", 8}, {"ecs.g7.large", 8},
	{"ecs.g7.2xlarge", 6}, {"ecs.r6.large", 5}, {"ecs.r6.xlarge", 4}, {"ecs.c7.2xlarge", 4}, {"ecs.g6.2xlarge", 5},
	{"ecs.s6-c1m2.small", 6}, {"ecs.s6-c1m2.large", 5}, {"ecs.t6-c1m2.large", 6}, {"ecs.g8i.xlarge", 2}, {"ecs.gn6i-c4g1.xlarge", 1},
}

var popApps = []string{"web", "api", "worker", "cache", "batch", "gateway", "search", "etl", "ml", "jenkins"}
var popEnvs = []string{"prod", "prod", "prod", "staging", "dev"}
var popTeams = []string{"payments", "growth", "platform", "data", "infra", "mobile"}

func (p *populator) pick(h uint64, weights int) int { return int(h % uint64(weights)) }

func (p *populator) hash(salt string) uint64 {
	p.n++
	return hash64(p.a.ID + "/" + salt + "/" + strconv.Itoa(p.n))
}

func (p *populator) run(regs []string) error {
	p.started = time.Now()
	totalW := 0
	for _, t := range popTypes {
		totalW += t.weight
	}
	per := make([]int, len(regs))
	for i := range regs {
		per[i] = p.opt.Instances / len(regs)
		if i < p.opt.Instances%len(regs) {
			per[i]++
		}
	}
	nets := make([]*regionNet, len(regs))
	for i, r := range regs {
		net, err := p.network(r, per[i])
		if err != nil {
			return err
		}
		nets[i] = net
	}
	for i, r := range regs {
		rs := p.a.region(r)
		net := nets[i]
		for k := 0; k < per[i]; k++ {
			p.instance(r, rs, net, k, totalW)
		}
		p.extras(r, rs, net)
	}
	for i := 0; i < p.opt.DBs; i++ {
		r := regs[i%len(regs)]
		p.rds(r, p.a.region(r), nets[i%len(regs)], i)
	}
	for i := 0; i < p.opt.Caches; i++ {
		r := regs[i%len(regs)]
		p.redis(r, p.a.region(r), nets[i%len(regs)], i)
	}
	for i := 0; i < p.opt.Kafkas; i++ {
		r := regs[i%len(regs)]
		p.kafka(r, p.a.region(r), nets[i%len(regs)], i)
	}
	for i := 0; i < p.opt.Buckets; i++ {
		p.bucket(regs[i%len(regs)], i)
	}
	return nil
}

// network finds or builds the region's VPC and enough vSwitches (/16 each)
// for n more instances.
func (p *populator) network(region string, n int) (*regionNet, error) {
	rs := p.a.region(region)
	net := &regionNet{}
	for _, v := range rs.VPCs.order {
		if v.Name == "skyfold-sim-vpc" {
			net.vpc = v
		}
	}
	created := p.now.AddDate(0, 0, -120)
	if net.vpc == nil {
		if rs.VPCs.len() >= maxVPCsPerRegion {
			return nil, fmt.Errorf("aliyunsim: populate: region %s already has %d VPCs", region, rs.VPCs.len())
		}
		net.vpc = p.st.newVPC(region, netip.MustParsePrefix("10.0.0.0/8"), "skyfold-sim-vpc", "VPC created by Populate",
			[]Tag{{"env", "prod"}, {"created-by", "aliyunsim"}}, created)
		rs.VPCs.put(net.vpc)
	}
	free := 0
	used := map[string]bool{}
	for _, vsw := range rs.VSwitches.order {
		if vsw.VpcID == net.vpc.ID {
			net.vsws = append(net.vsws, vsw)
			free += vsw.Pool.available()
			used[vsw.CIDR] = true
		}
	}
	zones := zoneIDs(regionByID[region])
	for k := 0; free < n+64 || len(net.vsws) < 2; k++ {
		if k > 255 {
			return nil, fmt.Errorf("aliyunsim: populate: no room for more vSwitches in %s", region)
		}
		pfx := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(k), 0, 0}), 16)
		if used[pfx.String()] {
			continue
		}
		zone := zones[len(net.vsws)%len(zones)]
		vsw := p.st.newVSwitch(region, net.vpc, zone, pfx, "skyfold-sim-"+zone, "", nil, created)
		rs.VSwitches.put(vsw)
		net.vsws = append(net.vsws, vsw)
		used[pfx.String()] = true
		free += vsw.Pool.available()
	}
	for _, sg := range rs.SGs.order {
		if sg.VpcID == net.vpc.ID {
			net.sgs = append(net.sgs, sg)
		}
	}
	if len(net.sgs) == 0 {
		for _, name := range []string{"sg-web", "sg-app", "sg-db"} {
			sg := &SecurityGroup{Meta: p.st.meta("sg-", region, created, []Tag{{"env", "prod"}}), VpcID: net.vpc.ID, Name: name, Kind: "normal"}
			rules := []map[string]string{{"IpProtocol": "tcp", "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8"}}
			if name == "sg-web" {
				rules = append(rules, map[string]string{"IpProtocol": "tcp", "PortRange": "443/443", "SourceCidrIp": "0.0.0.0/0"},
					map[string]string{"IpProtocol": "tcp", "PortRange": "80/80", "SourceCidrIp": "0.0.0.0/0"})
			}
			if name == "sg-db" {
				rules = append(rules, map[string]string{"IpProtocol": "tcp", "PortRange": "3306/3306", "SourceCidrIp": "10.0.0.0/8"})
			}
			for _, o := range rules {
				r, _ := validateRule(rs, "ingress", o)
				r.ID, r.Created = p.st.newID("sgr-", region, 17), created
				sg.Rules = append(sg.Rules, r)
			}
			sg.Rules = append(sg.Rules, Rule{ID: p.st.newID("sgr-", region, 17), Direction: "egress", IpProtocol: "ALL", PortRange: "-1/-1",
				DestCidrIp: "0.0.0.0/0", Policy: "Accept", Priority: "1", NicType: "intranet", Created: created})
			rs.SGs.put(sg)
			net.sgs = append(net.sgs, sg)
		}
	}
	for i := range publicImages[:6] {
		net.imgs = append(net.imgs, &publicImages[i])
	}
	if rs.Images.len() == 0 {
		for i, base := range []string{"web-golden", "app-base"} {
			im := publicImages[i*2]
			ci := &CustomImage{Meta: p.st.meta("m-", region, created, []Tag{{"image", base}}), Image: im}
			ci.Image.ID, ci.Image.Name, ci.Image.Owner = ci.Meta.ID, base+"-"+created.Format("20060102"), "self"
			ci.Image.Created, ci.Image.Description = created, "custom image made by Populate"
			rs.Images.put(ci)
		}
	}
	for _, ci := range rs.Images.order {
		net.imgs = append(net.imgs, &ci.Image)
	}
	return net, nil
}

func (p *populator) instance(region string, rs *regionState, net *regionNet, k, totalW int) {
	h := p.hash("inst")
	w := p.pick(h, totalW)
	var t *InstanceType
	for _, pt := range popTypes {
		if w < pt.weight {
			t = instanceTypeByID[pt.id]
			break
		}
		w -= pt.weight
	}
	var vsw *VSwitch
	for i := 0; i < len(net.vsws); i++ {
		cand := net.vsws[(k+i)%len(net.vsws)]
		if cand.Pool.available() > 0 {
			vsw = cand
			break
		}
	}
	if vsw == nil {
		return
	}
	app := popApps[(h>>8)%uint64(len(popApps))]
	env := popEnvs[(h>>16)%uint64(len(popEnvs))]
	team := popTeams[(h>>24)%uint64(len(popTeams))]
	sg := net.sgs[(h>>32)%uint64(len(net.sgs))]
	sp := &instSpec{
		Name:  fmt.Sprintf("%s-%s-%05d", app, env, k+1),
		Type:  t,
		Image: net.imgs[(h>>40)%uint64(len(net.imgs))], VSwitch: vsw, SGs: []*SecurityGroup{sg},
		InternetChargeType: "PayByTraffic", ChargeType: postPaid,
		Sys:  diskSpec{Category: "cloud_essd", Size: 40, DeleteWithInstance: true, PerformanceLevel: "PL0"},
		Tags: []Tag{{"app", app}, {"env", env}, {"team", team}},
	}
	if sp.Image.Size > sp.Sys.Size {
		sp.Sys.Size = sp.Image.Size
	}
	if (h>>44)%10 < 3 {
		sp.Bandwidth = int(1 + (h>>48)%10)
	}
	if (h>>50)%10 < 4 {
		sp.Data = []diskSpec{{Category: "cloud_essd", Size: int(100 * (1 + (h>>52)%5)), DeleteWithInstance: true, PerformanceLevel: "PL1"}}
	}
	if (h>>54)%10 == 0 {
		sp.Tags = append(sp.Tags, Tag{"ack.aliyun.com", "c" + p.a.ID[:8]})
	}
	age := time.Duration(1+h%(89*24)) * time.Hour
	created := p.now.Add(-age).Truncate(time.Minute)
	if (h>>58)%5 == 0 {
		sp.ChargeType, sp.PeriodUnit, sp.Period = prePaid, "Month", []int{1, 3, 6, 12}[(h>>60)%4]
	}
	sp.Idle = unit(hash64("idle/"+strconv.Itoa(p.n)+p.a.ID)) < p.opt.IdleShare
	in := p.st.createInstance(p.a, rs, region, sp, created, p.now, true, 0)
	in.Idle = sp.Idle
	if sp.ChargeType == postPaid && (h>>36)%20 == 0 {
		// Stopped some days ago and left that way.
		stopAt := created.Add(age / 2)
		if ok, hourly := in.closeSpan(stopAt); ok {
			p.a.stopBilling(p.now, hourly)
			p.a.Accrued -= int64(float64(p.a.discounted(hourly)) * p.now.Sub(stopAt).Hours())
		}
		in.Status, in.StoppedMode = statusStopped, "KeepCharging"
	}
	if sp.Bandwidth == 0 && (h>>40)%50 == 0 && rs.EIPs.len() < maxEIPsPerRegion-10 {
		e := p.st.newEIP(p.a, region, 5, "PayByBandwidth", "BGP", "eip-"+in.Name, "", nil, created, p.now)
		e.InstanceID, e.InstanceType = in.ID, "EcsInstance"
		in.EipID = e.ID
		rs.EIPs.put(e)
	}
}

// extras adds the waste FinOps looks for: unattached disks, idle EIPs and
// snapshots.
func (p *populator) extras(region string, rs *regionState, net *regionNet) {
	if p.opt.Instances == 0 {
		return
	}
	created := p.now.AddDate(0, 0, -30)
	zones := zoneIDs(regionByID[region])
	for i := 0; i < 3; i++ {
		d := &Disk{Meta: p.st.meta("d-", region, created, []Tag{{"env", "dev"}}), Name: fmt.Sprintf("orphan-data-%d", i+1),
			Category: "cloud_essd", Size: 200 * (i + 1), Kind: "data", Zone: zones[i%len(zones)], PerformanceLevel: "PL1", ChargeType: postPaid}
		rs.Disks.put(d)
	}
	for i := 0; i < 2 && rs.EIPs.len() < maxEIPsPerRegion; i++ {
		e := p.st.newEIP(p.a, region, 10, "PayByBandwidth", "BGP", fmt.Sprintf("unused-eip-%d", i+1), "", nil, created, p.now)
		rs.EIPs.put(e)
	}
	n := 0
	for _, d := range rs.Disks.order {
		if n == 5 {
			break
		}
		if d.Kind == "system" {
			sn := &Snapshot{Meta: p.st.meta("s-", region, created, nil), Name: "backup-" + d.InstanceID, DiskID: d.ID,
				DiskSize: d.Size, DiskKind: d.Kind, InstanceID: d.InstanceID, Ready: created}
			rs.Snapshots.put(sn)
			n++
		}
	}
}

func (p *populator) idle(salt string) bool {
	return unit(hash64("idle/"+salt)) < p.opt.IdleShare
}

var rdsClasses = []struct {
	engine, version, class string
	cpu, mem               int
	hourly                 float64
}{
	{"MySQL", "8.0", "mysql.n2.medium.1", 2, 4096, 0.72},
	{"MySQL", "5.7", "mysql.n4.large.1", 4, 16384, 1.9},
	{"MySQL", "8.0", "mysql.n2.xlarge.1", 8, 16384, 3.1},
	{"PostgreSQL", "14.0", "pg.n2.medium.1", 2, 4096, 0.75},
}

func (p *populator) rds(region string, rs *regionState, net *regionNet, i int) {
	h := p.hash("rds")
	c := rdsClasses[h%uint64(len(rdsClasses))]
	created := p.now.Add(-time.Duration(24+h%(80*24)) * time.Hour).Truncate(time.Minute)
	vsw := net.vsws[i%len(net.vsws)]
	d := &DBInstance{Meta: Meta{ID: p.st.newID("rm-", region, 14), Seq: p.st.nextSeq(), Region: region, Created: created,
		Tags: []Tag{{"env", popEnvs[h>>8%5]}}}, Description: fmt.Sprintf("%s-db-%02d", popApps[(h>>12)%uint64(len(popApps))], i+1),
		Engine: c.engine, Version: c.version, Class: c.class, CPU: c.cpu, MemoryMiB: c.mem, StorageGiB: 100 * int(1+(h>>16)%5),
		StorageType: "cloud_essd", Category: "HighAvailability", PayType: "Postpaid", VpcID: net.vpc.ID, VSwitchID: vsw.ID,
		Zone: vsw.Zone, Status: "Running", Idle: p.idle(strconv.Itoa(p.n) + "rds"), HourlyMicro: toMicro(regionPrice(region, c.hourly))}
	if (h>>20)%3 == 0 {
		d.PayType, d.ExpireTime = "Prepaid", created.AddDate(0, 12, 0)
	}
	p.charge(d.Created, d.HourlyMicro, d.PayType == "Prepaid", d.ID)
	rs.RDS.put(d)
}

var redisClasses = []struct {
	class  string
	mb     int64
	hourly float64
}{
	{"redis.master.small.default", 1024, 0.27}, {"redis.master.mid.default", 2048, 0.45}, {"redis.master.stand.default", 4096, 0.8},
	{"redis.master.large.default", 8192, 1.5},
}

func (p *populator) redis(region string, rs *regionState, net *regionNet, i int) {
	h := p.hash("redis")
	c := redisClasses[h%uint64(len(redisClasses))]
	created := p.now.Add(-time.Duration(24+h%(80*24)) * time.Hour).Truncate(time.Minute)
	vsw := net.vsws[i%len(net.vsws)]
	ip, _ := vsw.Pool.alloc()
	r := &RedisInstance{Meta: Meta{ID: p.st.newID("r-", region, 14), Seq: p.st.nextSeq(), Region: region, Created: created,
		Tags: []Tag{{"env", popEnvs[h>>8%5]}}}, Name: fmt.Sprintf("%s-cache-%02d", popApps[(h>>12)%uint64(len(popApps))], i+1),
		Class: c.class, CapacityMB: c.mb, Version: "5.0", Architecture: "standard", ChargeType: postPaid, VpcID: net.vpc.ID,
		VSwitchID: vsw.ID, Zone: vsw.Zone, PrivateIP: ip, Bandwidth: 96, Connections: 10000, QPS: 100000, Status: "Normal",
		Idle: p.idle(strconv.Itoa(p.n) + "redis"), HourlyMicro: toMicro(regionPrice(region, c.hourly)), EndTime: time.Date(2999, 9, 8, 16, 0, 0, 0, time.UTC)}
	if (h>>20)%3 == 0 {
		r.ChargeType, r.EndTime = prePaid, created.AddDate(1, 0, 0)
	}
	p.charge(r.Created, r.HourlyMicro, r.ChargeType == prePaid, r.ID)
	rs.Redis.put(r)
}

func (p *populator) kafka(region string, rs *regionState, net *regionNet, i int) {
	h := p.hash("kafka")
	created := p.now.Add(-time.Duration(24+h%(80*24)) * time.Hour).Truncate(time.Minute)
	vsw := net.vsws[i%len(net.vsws)]
	paid, prefix := 1, "alikafka_post-cn-"
	if (h>>8)%2 == 0 {
		paid, prefix = 0, "alikafka_pre-cn-"
	}
	spec, hourly := "normal", 2.2
	if (h>>9)%3 == 0 {
		spec, hourly = "professional", 5.6
	}
	k := &KafkaInstance{Meta: Meta{ID: prefix + p.st.newID("", region, 9), Seq: p.st.nextSeq(), Region: region, Created: created},
		Name: fmt.Sprintf("events-%02d", i+1), SpecType: spec, DiskSize: 500, DiskType: 0, IoMax: 20, TopicLimit: 100,
		Topics: int(10 + h%60), Partitions: int(100 + h%600), VpcID: net.vpc.ID, VSwitchID: vsw.ID, Zone: vsw.Zone, PaidType: paid,
		HourlyMicro: toMicro(regionPrice(region, hourly)), Expired: time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)}
	if paid == 0 {
		k.Expired = created.AddDate(1, 0, 0)
	}
	p.charge(k.Created, k.HourlyMicro, paid == 0, k.ID)
	rs.Kafka.put(k)
}

// charge books a database-like service's history against the account.
func (p *populator) charge(created time.Time, hourly int64, prepaid bool, id string) {
	if !prepaid {
		p.a.startBilling(p.now, created, hourly)
		return
	}
	_, orders := dbCharges(created, hourly, true, id, p.now)
	for _, o := range orders {
		p.a.pay(o)
	}
}

var bucketWords = []string{"assets", "logs", "backup", "media", "data-lake", "static", "archive", "uploads"}

func (p *populator) bucket(region string, i int) {
	h := p.hash("bucket")
	name := fmt.Sprintf("skyfold-%s-%s-%d", p.a.ID[len(p.a.ID)-6:], bucketWords[h%uint64(len(bucketWords))], i+1)
	for k := 2; p.st.buckets[name] != nil; k++ {
		name = fmt.Sprintf("skyfold-%s-%s-%d-%d", p.a.ID[len(p.a.ID)-6:], bucketWords[h%uint64(len(bucketWords))], i+1, k)
	}
	class := []string{"Standard", "Standard", "Standard", "IA", "Archive"}[(h>>8)%5]
	created := p.now.Add(-time.Duration(24+h%(80*24)) * time.Hour).Truncate(time.Minute)
	objects := int64(1000 + h%2000000)
	b := &Bucket{Meta: Meta{ID: name, Seq: p.st.nextSeq(), Region: region, Created: created, Tags: []Tag{{"env", popEnvs[h>>16%5]}}},
		StorageClass: class, ACL: "private", Redundancy: "LRS", Objects: objects, Bytes: objects * int64(50000+(h>>20)%500000)}
	p.st.addBucket(p.a, b, p.now)
}
