package aliyunsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"regexp"
	"time"
)

// state is everything the simulator knows. It is guarded by Server.mu.
type state struct {
	Seq         int64
	rng         *rand.Rand
	accounts    map[string]*account // by AccountID
	keys        map[string]keyEntry // by AccessKeyID
	buckets     map[string]*Bucket  // OSS bucket names are global
	bucketOwner map[string]*account
	Pub         ipPool // public addresses, 198.18.0.0/15
}

type keyEntry struct {
	secret string
	acct   *account
}

// account is one simulated Aliyun account with all its resources.
type account struct {
	ID           string
	Name         string
	Keys         []Account
	MaxInstances int
	MaxVCPUs     int
	Balance      int64 // micro-CNY: opening balance + top-ups − subscription payments
	Accrued      int64 // micro-CNY of pay-as-you-go charges up to AccruedAt
	AccruedAt    time.Time
	Burn         int64   // micro-CNY per hour of pay-as-you-go charges, after discount
	Discount     float64 // invoice discount rate
	Tokens       map[string]*idemRecord
	Retired      []*Instance // deleted instances, kept for bills and metrics history
	RetiredEIPs  []*EIP

	regions   map[string]*regionState
	buckets   map[string]*Bucket
	instances int
	vcpus     int
}

// idemRecord remembers the outcome of a call made with a ClientToken.
type idemRecord struct {
	Action string
	Hash   string
	IDs    []string
	Order  string
	Price  float64
	At     time.Time
}

// regionState holds one account's resources in one region.
type regionState struct {
	VPCs      table[*VPC]
	VSwitches table[*VSwitch]
	SGs       table[*SecurityGroup]
	Instances table[*Instance]
	Disks     table[*Disk]
	Snapshots table[*Snapshot]
	ENIs      table[*ENI]
	EIPs      table[*EIP]
	Images    table[*CustomImage]
	RDS       table[*DBInstance]
	Redis     table[*RedisInstance]
	Kafka     table[*KafkaInstance]
}

var publicRange = netip.MustParsePrefix("198.18.0.0/15")

func newState(seed int64) *state {
	st := &state{
		rng:         rand.New(rand.NewPCG(uint64(seed)^0x5eed, uint64(seed)+1)),
		accounts:    map[string]*account{},
		keys:        map[string]keyEntry{},
		buckets:     map[string]*Bucket{},
		bucketOwner: map[string]*account{},
		Pub:         newPool(publicRange),
	}
	return st
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{10,20}$`)

// addAccount registers a credential. A known access key is updated (secret,
// name, quotas); a new one joins its AccountID's account or creates it.
func (st *state) addAccount(a Account, now time.Time) (*account, error) {
	if a.AccessKeyID == "" || a.AccessKeySecret == "" {
		return nil, fmt.Errorf("aliyunsim: account %q needs an access key id and secret", a.Name)
	}
	if a.AccountID == "" {
		a.AccountID = fmt.Sprintf("14%014d", int64(hash64(a.AccessKeyID)%1e14))
	}
	if !accountIDPattern.MatchString(a.AccountID) {
		return nil, fmt.Errorf("aliyunsim: account id %q is not a numeric Aliyun UID", a.AccountID)
	}
	if a.Balance == "" {
		a.Balance = defaultBalance
	}
	bal, err := parseMoney(a.Balance)
	if err != nil {
		return nil, fmt.Errorf("aliyunsim: account %s: %w", a.AccountID, err)
	}
	if a.Name == "" {
		a.Name = "account-" + a.AccountID[len(a.AccountID)-4:]
	}
	if ke, ok := st.keys[a.AccessKeyID]; ok && ke.acct.ID != a.AccountID {
		return nil, fmt.Errorf("aliyunsim: access key %s already belongs to account %s", a.AccessKeyID, ke.acct.ID)
	}
	acct := st.accounts[a.AccountID]
	if acct == nil {
		acct = &account{ID: a.AccountID, Name: a.Name, Balance: bal, AccruedAt: now, Discount: 0.1,
			Tokens: map[string]*idemRecord{}}
		acct.init()
		st.accounts[a.AccountID] = acct
	}
	if a.MaxInstances > 0 {
		acct.MaxInstances = a.MaxInstances
	}
	if a.MaxVCPUs > 0 {
		acct.MaxVCPUs = a.MaxVCPUs
	}
	if acct.MaxInstances == 0 {
		acct.MaxInstances = defaultMaxInstances
	}
	if acct.MaxVCPUs == 0 {
		acct.MaxVCPUs = defaultMaxVCPUs
	}
	replaced := false
	for i := range acct.Keys {
		if acct.Keys[i].AccessKeyID == a.AccessKeyID {
			acct.Keys[i] = a
			replaced = true
		}
	}
	if !replaced {
		acct.Keys = append(acct.Keys, a)
	}
	st.keys[a.AccessKeyID] = keyEntry{secret: a.AccessKeySecret, acct: acct}
	return acct, nil
}

func (a *account) init() {
	if a.regions == nil {
		a.regions = map[string]*regionState{}
	}
	if a.buckets == nil {
		a.buckets = map[string]*Bucket{}
	}
	if a.Tokens == nil {
		a.Tokens = map[string]*idemRecord{}
	}
}

// region returns the account's state in a region, creating it on first use.
func (a *account) region(id string) *regionState {
	rs := a.regions[id]
	if rs == nil {
		rs = &regionState{}
		a.regions[id] = rs
	}
	return rs
}

// lookupRegion validates RegionId and returns the account's state there.
func (c *call) lookupRegion() (string, *regionState, *apiError) {
	id, aerr := c.p.required("RegionId")
	if aerr != nil {
		return "", nil, aerr
	}
	if regionByID[id] == nil {
		return "", nil, errRegionNotFound()
	}
	return id, c.region(id), nil
}

// emptyRegion stands in for a region an account has never used, so that read
// handlers, which run under the read lock, never add to the account's map.
var emptyRegion = &regionState{}

// region returns the account's state in a region: created on first use by a
// write handler, the shared empty state for a read handler.
func (c *call) region(id string) *regionState {
	if c.write {
		return c.acct.region(id)
	}
	if rs := c.acct.regions[id]; rs != nil {
		return rs
	}
	return emptyRegion
}

// optRegion is lookupRegion for actions where RegionId may be omitted: then
// every region is searched.
func (c *call) optRegions() ([]*regionState, *apiError) {
	id := c.p.str("RegionId")
	if id == "" {
		out := make([]*regionState, 0, len(c.acct.regions))
		for _, r := range regions {
			if rs := c.acct.regions[r.ID]; rs != nil {
				out = append(out, rs)
			}
		}
		return out, nil
	}
	if regionByID[id] == nil {
		return nil, errRegionNotFound()
	}
	return []*regionState{c.region(id)}, nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns an Aliyun-shaped id: prefix, the region's letters, random tail.
func (st *state) newID(prefix, region string, n int) string {
	rp := "bp1"
	if r := regionByID[region]; r != nil {
		rp = r.IDPrefix
	}
	b := make([]byte, 0, len(prefix)+len(rp)+n)
	b = append(b, prefix...)
	b = append(b, rp...)
	for i := 0; i < n; i++ {
		b = append(b, idAlphabet[st.rng.IntN(len(idAlphabet))])
	}
	return string(b)
}

func (st *state) nextSeq() int64 {
	st.Seq++
	return st.Seq
}

func (st *state) meta(prefix, region string, now time.Time, tags []Tag) Meta {
	return Meta{ID: st.newID(prefix, region, 17), Seq: st.nextSeq(), Region: region, Created: now, Tags: tags}
}

// allocPublicIP hands out an address from the benchmark range.
func (st *state) allocPublicIP() string {
	ip, ok := st.Pub.alloc()
	if !ok {
		// The range is exhausted: start over rather than fail; duplicates are
		// tolerable in a simulator holding more than 130,000 public addresses.
		st.Pub.Next, st.Pub.Used = 1, 0
		ip, _ = st.Pub.alloc()
	}
	return ip
}

func (st *state) releasePublicIP(ip string) {
	if ip != "" {
		st.Pub.release(ip)
	}
}

// orderID is a numeric order id as BSS prints them.
func (st *state) orderID() string {
	return fmt.Sprintf("2%014d", st.rng.Int64N(1e14))
}

// --- money -----------------------------------------------------------------

const hourMicro = float64(time.Hour)

// accrue brings the pay-as-you-go accrual up to now.
func (a *account) accrue(now time.Time) {
	if now.After(a.AccruedAt) {
		a.Accrued += int64(float64(a.Burn) * float64(now.Sub(a.AccruedAt)) / hourMicro)
		a.AccruedAt = now
	}
}

func (a *account) discounted(micro int64) int64 {
	return micro - int64(float64(micro)*a.Discount)
}

// available is the balance left after subscriptions and accrued usage.
func (a *account) available(now time.Time) int64 {
	acc := a.Accrued
	if now.After(a.AccruedAt) {
		acc += int64(float64(a.Burn) * float64(now.Sub(a.AccruedAt)) / hourMicro)
	}
	return a.Balance - acc
}

// startBilling starts a pay-as-you-go charge of hourly list micro-CNY that
// began at start (possibly in the past).
func (a *account) startBilling(now, start time.Time, hourly int64) {
	a.accrue(now)
	d := a.discounted(hourly)
	if start.Before(now) {
		a.Accrued += int64(float64(d) * float64(now.Sub(start)) / hourMicro)
	}
	a.Burn += d
}

func (a *account) stopBilling(now time.Time, hourly int64) {
	a.accrue(now)
	a.Burn -= a.discounted(hourly)
	if a.Burn < 0 {
		a.Burn = 0
	}
}

// pay charges a subscription order against the balance.
func (a *account) pay(o Order) { a.Balance -= o.Gross - o.Discount - o.Coupon }

// --- quotas ----------------------------------------------------------------

func (a *account) checkQuota(addInstances, addVCPUs int) *apiError {
	if a.instances+addInstances > a.MaxInstances {
		return errf(http.StatusForbidden, "QuotaExceed.ElasticQuota",
			"The number of instances exceeds the quota. Quota: %d, used: %d, requested: %d.", a.MaxInstances, a.instances, addInstances)
	}
	if a.vcpus+addVCPUs > a.MaxVCPUs {
		return errf(http.StatusForbidden, "QuotaExceed.ElasticQuota",
			"The number of vCPUs assigned to the ECS instances exceeds the quota. Quota: %d vCPUs, used: %d, requested: %d.", a.MaxVCPUs, a.vcpus, addVCPUs)
	}
	return nil
}

// hash64 is FNV-1a, used wherever the simulator needs a stable pseudo-random
// number derived from an id.
func hash64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / float64(1<<53) }
