package aliyunsim

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"time"
)

// Meta is what every simulated resource carries. Seq is a server-wide creation
// sequence: lists are ordered by it, and NextToken cursors point into it.
type Meta struct {
	ID      string
	Seq     int64
	Region  string
	Created time.Time
	Tags    []Tag
}

func (m *Meta) meta() *Meta { return m }

type entity interface{ meta() *Meta }

// table is an id index plus creation order, so that listing and paging cost
// O(page) and lookups O(1) however many resources a region holds.
type table[T entity] struct {
	byID  map[string]T
	order []T
}

func (t *table[T]) put(v T) {
	if t.byID == nil {
		t.byID = map[string]T{}
	}
	t.byID[v.meta().ID] = v
	n := len(t.order)
	if n > 0 && t.order[n-1].meta().Seq > v.meta().Seq {
		// Out of order only while loading a snapshot; keep the slice sorted.
		i := sort.Search(n, func(i int) bool { return t.order[i].meta().Seq > v.meta().Seq })
		t.order = append(t.order, v)
		copy(t.order[i+1:], t.order[i:])
		t.order[i] = v
		return
	}
	t.order = append(t.order, v)
}

func (t *table[T]) get(id string) (T, bool) {
	v, ok := t.byID[id]
	return v, ok
}

// remove deletes ids and compacts the order once, so a batch costs O(n).
func (t *table[T]) remove(ids ...string) {
	any := false
	for _, id := range ids {
		if _, ok := t.byID[id]; ok {
			delete(t.byID, id)
			any = true
		}
	}
	if !any {
		return
	}
	out := t.order[:0]
	for _, v := range t.order {
		if _, ok := t.byID[v.meta().ID]; ok {
			out = append(out, v)
		}
	}
	var zero T
	for i := len(out); i < len(t.order); i++ {
		t.order[i] = zero
	}
	t.order = out
}

func (t *table[T]) len() int { return len(t.order) }

// UsageSpan is a period during which a resource was billed at a constant hourly
// price (list price, micro-CNY per hour). End is zero while the span is open.
type UsageSpan struct {
	Start, End  time.Time
	HourlyMicro int64
}

// Order is a subscription purchase or upgrade.
type Order struct {
	ID       string
	At       time.Time
	Months   int
	Gross    int64 // list price, micro-CNY
	Discount int64
	Coupon   int64
}

// Transition is a status change scheduled for a point in time.
type Transition struct {
	At     time.Time
	Status string
}

// Instance is an ECS instance.
type Instance struct {
	Meta
	Name, HostName, Description string
	Zone, Type, ImageID         string
	VpcID, VSwitchID            string
	SecurityGroupIDs            []string
	PrivateIP, PublicIP         string
	EipID                       string
	Bandwidth                   int
	InternetChargeType          string
	ChargeType                  string // PostPaid | PrePaid
	ExpiredTime                 time.Time
	AutoRenew                   bool
	Status                      string
	Next                        []Transition
	StartTime                   time.Time
	StoppedMode                 string
	SystemDiskID                string
	DataDiskIDs                 []string
	ENIID                       string
	KeyPairName                 string
	Idle                        bool
	Serial                      string
	DeletionProtection          bool
	Spans                       []UsageSpan
	Orders                      []Order
	Deleted                     time.Time
}

// status is the instance's status at now, with due transitions applied.
func (in *Instance) status(now time.Time) string {
	s := in.Status
	for _, t := range in.Next {
		if now.Before(t.At) {
			break
		}
		s = t.Status
	}
	return s
}

// settle applies due transitions permanently (only under the write lock).
func (in *Instance) settle(now time.Time) {
	i := 0
	for ; i < len(in.Next); i++ {
		if now.Before(in.Next[i].At) {
			break
		}
		in.Status = in.Next[i].Status
	}
	if i > 0 {
		in.Next = append([]Transition(nil), in.Next[i:]...)
	}
}

// schedule sets status now and queues the following ones d apart.
func (in *Instance) schedule(now time.Time, d time.Duration, first string, then ...string) {
	in.Next = nil
	if d <= 0 {
		in.Status = first
		if len(then) > 0 {
			in.Status = then[len(then)-1]
		}
		return
	}
	in.Status = first
	for i, s := range then {
		in.Next = append(in.Next, Transition{At: now.Add(time.Duration(i+1) * d), Status: s})
	}
}

// openSpan starts billing at t; closeSpan stops it.
func (in *Instance) openSpan(t time.Time, hourly int64) {
	in.Spans = append(in.Spans, UsageSpan{Start: t, HourlyMicro: hourly})
}

func (in *Instance) closeSpan(t time.Time) (closed bool, hourly int64) {
	if n := len(in.Spans); n > 0 && in.Spans[n-1].End.IsZero() {
		in.Spans[n-1].End = t
		return true, in.Spans[n-1].HourlyMicro
	}
	return false, 0
}

// Disk is a cloud disk.
type Disk struct {
	Meta
	Name, Description  string
	Category           string
	Size               int
	Kind               string // system | data
	InstanceID         string
	Zone               string
	Device             string
	DeleteWithInstance bool
	ImageID            string
	SourceSnapshotID   string
	PerformanceLevel   string
	ChargeType         string
	Attached           time.Time
}

// Snapshot is a disk snapshot.
type Snapshot struct {
	Meta
	Name, Description string
	DiskID            string
	DiskSize          int
	DiskKind          string
	InstanceID        string
	Ready             time.Time
	RetentionDays     int
}

// ENI is an elastic network interface.
type ENI struct {
	Meta
	Name             string
	Description      string
	InstanceID       string
	VpcID, VSwitchID string
	Zone             string
	PrivateIP        string
	MAC              string
	SecurityGroupIDs []string
	Kind             string // Primary | Secondary
}

// VPC is a virtual private cloud.
type VPC struct {
	Meta
	Name, Description string
	CIDR              string
	IsDefault         bool
	VRouterID         string
	RouteTableID      string
}

// VSwitch is a subnet of a VPC in one zone, with its private address pool.
type VSwitch struct {
	Meta
	VpcID, Zone       string
	CIDR              string
	Name, Description string
	Pool              ipPool
}

// SecurityGroup holds firewall rules.
type SecurityGroup struct {
	Meta
	VpcID             string
	Name, Description string
	Kind              string // normal | enterprise
	Rules             []Rule
	Members           int
}

// Rule is one security-group permission.
type Rule struct {
	ID            string
	Direction     string // ingress | egress
	IpProtocol    string
	PortRange     string
	SourceCidrIp  string
	DestCidrIp    string
	SourceGroupId string
	DestGroupId   string
	Policy        string
	Priority      string
	NicType       string
	Description   string
	Created       time.Time
}

// EIP is an elastic IP address.
type EIP struct {
	Meta
	Name, Description  string
	IP                 string
	Bandwidth          int
	InternetChargeType string
	InstanceID         string
	InstanceType       string
	ISP                string
	Spans              []UsageSpan
}

// CustomImage is an account's own image (m-...).
type CustomImage struct {
	Meta
	Image
}

// Bucket is an OSS bucket. Its Meta.ID is the bucket name.
type Bucket struct {
	Meta
	StorageClass string
	ACL          string
	Redundancy   string
	Objects      int64
	Bytes        int64
}

// DBInstance is an RDS instance.
type DBInstance struct {
	Meta
	Description      string
	Engine, Version  string
	Class            string
	CPU, MemoryMiB   int
	StorageGiB       int
	StorageType      string
	Category         string
	PayType          string // Postpaid | Prepaid
	VpcID, VSwitchID string
	Zone             string
	Status           string
	Connections      int
	Idle             bool
	HourlyMicro      int64
	ExpireTime       time.Time
}

// RedisInstance is an ApsaraDB for Redis (R-KVStore) instance.
type RedisInstance struct {
	Meta
	Name             string
	Class            string
	CapacityMB       int64
	Version          string
	Architecture     string
	ChargeType       string // PrePaid | PostPaid
	VpcID, VSwitchID string
	Zone             string
	PrivateIP        string
	Bandwidth        int64
	Connections      int64
	QPS              int64
	Status           string
	Idle             bool
	HourlyMicro      int64
	EndTime          time.Time
}

// KafkaInstance is an ApsaraMQ for Kafka instance.
type KafkaInstance struct {
	Meta
	Name             string
	SpecType         string
	DiskSize         int
	DiskType         int
	IoMax            int
	TopicLimit       int
	Topics           int
	Partitions       int
	VpcID, VSwitchID string
	Zone             string
	PaidType         int // 0 prepaid, 1 postpaid
	HourlyMicro      int64
	Expired          time.Time
}

// ipPool hands out the addresses of a CIDR block: the network address and the
// last three are reserved, as Aliyun reserves them.
type ipPool struct {
	Base uint32
	Size uint32
	Next uint32
	Free []uint32
	Used int
}

const poolReservedTail = 3

func newPool(p netip.Prefix) ipPool {
	a4 := p.Masked().Addr().As4()
	return ipPool{Base: binary.BigEndian.Uint32(a4[:]), Size: 1 << (32 - p.Bits()), Next: 1}
}

func (p *ipPool) capacity() int {
	if p.Size <= 1+poolReservedTail {
		return 0
	}
	return int(p.Size) - 1 - poolReservedTail
}

func (p *ipPool) available() int { return p.capacity() - p.Used }

func (p *ipPool) alloc() (string, bool) {
	var off uint32
	switch {
	case len(p.Free) > 0:
		off = p.Free[len(p.Free)-1]
		p.Free = p.Free[:len(p.Free)-1]
	case p.Next < p.Size-poolReservedTail:
		off = p.Next
		p.Next++
	default:
		return "", false
	}
	p.Used++
	return u32ToIP(p.Base + off), true
}

func (p *ipPool) release(ip string) {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return
	}
	b := a.As4()
	v := binary.BigEndian.Uint32(b[:])
	if v < p.Base || v >= p.Base+p.Size {
		return
	}
	p.Free = append(p.Free, v-p.Base)
	p.Used--
}

func u32ToIP(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b).String()
}

// money is micro-CNY; bills and balances are computed in it and printed with
// two decimals.
func toMicro(cny float64) int64 { return int64(cny*1e6 + 0.5) }

func fmtMoney(micro int64) string {
	neg := micro < 0
	if neg {
		micro = -micro
	}
	cents := (micro + 5000) / 10000
	s := strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100)
	if neg && cents != 0 {
		s = "-" + s
	}
	return s
}

// parseMoney parses a decimal CNY amount such as "100000.00" into micro-CNY.
func parseMoney(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("parse amount %q: %w", s, err)
	}
	if f > 1e12 || f < -1e12 {
		return 0, fmt.Errorf("parse amount %q: out of range", s)
	}
	if f < 0 {
		return -toMicro(-f), nil
	}
	return toMicro(f), nil
}

// cents rounds micro-CNY to a float with two decimals, as bill items carry.
func cents(micro int64) float64 {
	if micro < 0 {
		return -float64((-micro+5000)/10000) / 100
	}
	return float64((micro+5000)/10000) / 100
}
