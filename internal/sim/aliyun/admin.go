package aliyunsim

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The admin API under /_sim/: plain JSON, no Aliyun signature, refused to
// anything but loopback clients.
//
//	GET  /_sim/status                 counts per account, tunables, request count
//	PUT  /_sim/config                 {"latency":"250ms","rateLimit":5,"failRate":0.1,"stateDelay":"1s","idleShare":0.2}
//	POST /_sim/accounts               {"accessKeyId","accessKeySecret","accountId","name","maxInstances","maxVCPUs","balance"}
//	PUT  /_sim/accounts/{ak}/quota    {"maxInstances":10,"maxVCPUs":40,"balance":"50.00"}
//	POST /_sim/reset                  delete every resource, keep the accounts
//	POST /_sim/populate               {"accessKeyId","instances","regions","idleShare","buckets","dbs","caches","kafkas"}
//	GET  /_sim/state/{kind}           resources of one kind (?accessKeyId=&region=&limit=)

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		adminJSON(w, http.StatusForbidden, obj{"error": "the admin API only answers loopback clients"})
		return
	}
	s.adminMux().ServeHTTP(w, r)
}

func (s *Server) adminMux() *http.ServeMux {
	s.adminOnce.Do(func() {
		m := http.NewServeMux()
		m.HandleFunc("GET /_sim/status", s.adminStatus)
		m.HandleFunc("PUT /_sim/config", s.adminConfig)
		m.HandleFunc("POST /_sim/accounts", s.adminAddAccount)
		m.HandleFunc("PUT /_sim/accounts/{ak}/quota", s.adminQuota)
		m.HandleFunc("POST /_sim/reset", s.adminReset)
		m.HandleFunc("POST /_sim/populate", s.adminPopulate)
		m.HandleFunc("GET /_sim/state/{kind}", s.adminState)
		m.HandleFunc("/_sim/", func(w http.ResponseWriter, r *http.Request) {
			adminJSON(w, http.StatusNotFound, obj{"error": "no such admin endpoint: " + r.Method + " " + r.URL.Path})
		})
		s.admin = m
	})
	return s.admin
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	return nil
}

// Status is what GET /_sim/status returns.
type Status struct {
	Requests int64           `json:"requests"`
	Config   StatusConfig    `json:"config"`
	Accounts []AccountStatus `json:"accounts"`
}

// StatusConfig reports the run-time tunables.
type StatusConfig struct {
	Latency    string  `json:"latency"`
	RateLimit  float64 `json:"rateLimit"`
	FailRate   float64 `json:"failRate"`
	StateDelay string  `json:"stateDelay"`
	IdleShare  float64 `json:"idleShare"`
	StateDir   string  `json:"stateDir"`
}

// AccountStatus summarises one account.
type AccountStatus struct {
	AccountID    string         `json:"accountId"`
	Name         string         `json:"name"`
	AccessKeyIDs []string       `json:"accessKeyIds"`
	MaxInstances int            `json:"maxInstances"`
	MaxVCPUs     int            `json:"maxVCPUs"`
	Instances    int            `json:"instances"`
	VCPUs        int            `json:"vcpus"`
	Balance      string         `json:"balance"`
	Counts       map[string]int `json:"counts"`
}

// Status reports counts, tunables and the request count.
func (s *Server) Status() Status {
	tun := s.tunablesNow()
	out := Status{Requests: s.requests.Load(), Config: StatusConfig{Latency: tun.Latency.String(), RateLimit: tun.RateLimit,
		FailRate: tun.FailRate, StateDelay: tun.StateDelay.String(), IdleShare: tun.IdleShare, StateDir: s.cfg.StateDir}}
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.now()
	for _, a := range s.st.accounts {
		as := AccountStatus{AccountID: a.ID, Name: a.Name, MaxInstances: a.MaxInstances, MaxVCPUs: a.MaxVCPUs,
			Instances: a.instances, VCPUs: a.vcpus, Balance: fmtMoney(a.available(now)), Counts: map[string]int{}}
		for _, k := range a.Keys {
			as.AccessKeyIDs = append(as.AccessKeyIDs, k.AccessKeyID)
		}
		for _, rs := range a.regions {
			as.Counts["vpcs"] += rs.VPCs.len()
			as.Counts["vswitches"] += rs.VSwitches.len()
			as.Counts["securityGroups"] += rs.SGs.len()
			as.Counts["instances"] += rs.Instances.len()
			as.Counts["disks"] += rs.Disks.len()
			as.Counts["snapshots"] += rs.Snapshots.len()
			as.Counts["networkInterfaces"] += rs.ENIs.len()
			as.Counts["eips"] += rs.EIPs.len()
			as.Counts["images"] += rs.Images.len()
			as.Counts["rds"] += rs.RDS.len()
			as.Counts["redis"] += rs.Redis.len()
			as.Counts["kafka"] += rs.Kafka.len()
		}
		as.Counts["buckets"] = len(a.buckets)
		out.Accounts = append(out.Accounts, as)
	}
	sort.Slice(out.Accounts, func(i, j int) bool { return out.Accounts[i].AccountID < out.Accounts[j].AccountID })
	return out
}

func (s *Server) adminStatus(w http.ResponseWriter, r *http.Request) {
	adminJSON(w, http.StatusOK, s.Status())
}

// duration accepts "250ms" or a number of milliseconds.
type duration struct {
	d   time.Duration
	set bool
}

func (d *duration) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		v, err := time.ParseDuration(str)
		if err != nil {
			return err
		}
		d.d, d.set = v, true
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration must be a string like \"250ms\" or milliseconds")
	}
	d.d, d.set = time.Duration(ms*float64(time.Millisecond)), true
	return nil
}

// RuntimeConfig changes tunables; nil fields are left alone.
type RuntimeConfig struct {
	Latency    *time.Duration
	RateLimit  *float64
	FailRate   *float64
	StateDelay *time.Duration
	IdleShare  *float64
}

// SetRuntime changes latency, rate limit, failure rate, state delay or idle
// share while the simulator runs.
func (s *Server) SetRuntime(rc RuntimeConfig) error {
	if rc.FailRate != nil && (*rc.FailRate < 0 || *rc.FailRate > 1) {
		return fmt.Errorf("failRate %v is outside 0..1", *rc.FailRate)
	}
	if rc.RateLimit != nil && *rc.RateLimit < 0 {
		return fmt.Errorf("rateLimit %v is negative", *rc.RateLimit)
	}
	if rc.Latency != nil && *rc.Latency < 0 {
		return fmt.Errorf("latency %v is negative", *rc.Latency)
	}
	if rc.IdleShare != nil && (*rc.IdleShare < 0 || *rc.IdleShare > 1) {
		return fmt.Errorf("idleShare %v is outside 0..1", *rc.IdleShare)
	}
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if rc.Latency != nil {
		s.tun.Latency = *rc.Latency
	}
	if rc.RateLimit != nil {
		s.tun.RateLimit = *rc.RateLimit
		s.limiters = map[string]*tokenBucket{}
	}
	if rc.FailRate != nil {
		s.tun.FailRate = *rc.FailRate
	}
	if rc.StateDelay != nil {
		s.tun.StateDelay = *rc.StateDelay
	}
	if rc.IdleShare != nil {
		s.tun.IdleShare = *rc.IdleShare
	}
	return nil
}

func (s *Server) adminConfig(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Latency    duration `json:"latency"`
		RateLimit  *float64 `json:"rateLimit"`
		FailRate   *float64 `json:"failRate"`
		StateDelay duration `json:"stateDelay"`
		IdleShare  *float64 `json:"idleShare"`
	}
	if err := decodeBody(r, &body); err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	rc := RuntimeConfig{RateLimit: body.RateLimit, FailRate: body.FailRate, IdleShare: body.IdleShare}
	if body.Latency.set {
		rc.Latency = &body.Latency.d
	}
	if body.StateDelay.set {
		rc.StateDelay = &body.StateDelay.d
	}
	if err := s.SetRuntime(rc); err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	adminJSON(w, http.StatusOK, s.Status().Config)
}

// AddAccount registers (or updates) an accepted credential at run time.
func (s *Server) AddAccount(a Account) error {
	s.mu.Lock()
	_, err := s.st.addAccount(a, s.now())
	s.mu.Unlock()
	if err == nil {
		s.markDirty()
	}
	return err
}

func (s *Server) adminAddAccount(w http.ResponseWriter, r *http.Request) {
	var a Account
	if err := decodeBody(r, &a); err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	if err := s.AddAccount(a); err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	adminJSON(w, http.StatusCreated, obj{"accessKeyId": a.AccessKeyID})
}

// Quota changes an account's quotas and, optionally, sets its available
// balance.
type Quota struct {
	MaxInstances *int    `json:"maxInstances"`
	MaxVCPUs     *int    `json:"maxVCPUs"`
	Balance      *string `json:"balance"`
}

// SetQuota applies q to the account of accessKeyID.
func (s *Server) SetQuota(accessKeyID string, q Quota) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ke, ok := s.st.keys[accessKeyID]
	if !ok {
		return fmt.Errorf("unknown access key %q", accessKeyID)
	}
	a := ke.acct
	if q.MaxInstances != nil {
		if *q.MaxInstances < 0 {
			return fmt.Errorf("maxInstances must not be negative")
		}
		a.MaxInstances = *q.MaxInstances
	}
	if q.MaxVCPUs != nil {
		if *q.MaxVCPUs < 0 {
			return fmt.Errorf("maxVCPUs must not be negative")
		}
		a.MaxVCPUs = *q.MaxVCPUs
	}
	if q.Balance != nil {
		want, err := parseMoney(*q.Balance)
		if err != nil {
			return err
		}
		a.Balance += want - a.available(s.now())
	}
	s.markDirty()
	return nil
}

func (s *Server) adminQuota(w http.ResponseWriter, r *http.Request) {
	var q Quota
	if err := decodeBody(r, &q); err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	if err := s.SetQuota(r.PathValue("ak"), q); err != nil {
		status := http.StatusBadRequest
		if strings.HasPrefix(err.Error(), "unknown access key") {
			status = http.StatusNotFound
		}
		adminJSON(w, status, obj{"error": err.Error()})
		return
	}
	adminJSON(w, http.StatusOK, s.Status())
}

// Reset deletes every resource of every account; accounts, quotas and
// balances stay.
func (s *Server) Reset() {
	s.mu.Lock()
	now := s.now()
	for _, a := range s.st.accounts {
		avail := a.available(now)
		a.regions, a.buckets, a.Retired, a.RetiredEIPs = nil, nil, nil, nil
		a.Tokens = nil
		a.init()
		a.instances, a.vcpus = 0, 0
		a.Burn, a.Accrued, a.AccruedAt = 0, 0, now
		a.Balance = avail
	}
	s.st.buckets, s.st.bucketOwner = map[string]*Bucket{}, map[string]*account{}
	s.st.Pub = newPool(publicRange)
	s.mu.Unlock()
	s.markDirty()
}

func (s *Server) adminReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	adminJSON(w, http.StatusOK, s.Status())
}

func (s *Server) adminPopulate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AccessKeyID string   `json:"accessKeyId"`
		Instances   int      `json:"instances"`
		Regions     []string `json:"regions"`
		IdleShare   float64  `json:"idleShare"`
		Buckets     int      `json:"buckets"`
		DBs         int      `json:"dbs"`
		Caches      int      `json:"caches"`
		Kafkas      int      `json:"kafkas"`
	}
	if err := decodeBody(r, &body); err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	if body.AccessKeyID == "" {
		s.mu.RLock()
		for ak := range s.st.keys {
			if body.AccessKeyID == "" || ak < body.AccessKeyID {
				body.AccessKeyID = ak
			}
		}
		s.mu.RUnlock()
	}
	start := time.Now()
	err := s.Populate(body.AccessKeyID, PopulateOptions{Instances: body.Instances, Regions: body.Regions, IdleShare: body.IdleShare,
		Buckets: body.Buckets, DBs: body.DBs, Caches: body.Caches, Kafkas: body.Kafkas})
	if err != nil {
		adminJSON(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	adminJSON(w, http.StatusOK, obj{"took": time.Since(start).String(), "status": s.Status()})
}

var stateKinds = map[string]bool{"instances": true, "vpcs": true, "vswitches": true, "securitygroups": true, "disks": true,
	"snapshots": true, "enis": true, "eips": true, "images": true, "buckets": true, "rds": true, "redis": true, "kafka": true, "accounts": true}

func (s *Server) adminState(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	q := r.URL.Query()
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			adminJSON(w, http.StatusBadRequest, obj{"error": "limit must be a positive integer"})
			return
		}
		limit = n
	}
	region := q.Get("region")
	if !stateKinds[kind] {
		adminJSON(w, http.StatusNotFound, obj{"error": "unknown kind " + kind + "; use instances, vpcs, vswitches, securitygroups, disks, snapshots, enis, eips, images, buckets, rds, redis, kafka or accounts"})
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var accts []*account
	if ak := q.Get("accessKeyId"); ak != "" {
		ke, ok := s.st.keys[ak]
		if !ok {
			adminJSON(w, http.StatusNotFound, obj{"error": "unknown access key " + ak})
			return
		}
		accts = append(accts, ke.acct)
	} else {
		for _, a := range s.st.accounts {
			accts = append(accts, a)
		}
		sort.Slice(accts, func(i, j int) bool { return accts[i].ID < accts[j].ID })
	}
	var items []any
	total := 0
	add := func(v any) {
		if len(items) < limit {
			items = append(items, v)
		}
		total++
	}
	for _, a := range accts {
		if kind == "accounts" {
			add(obj{"accountId": a.ID, "name": a.Name, "maxInstances": a.MaxInstances, "maxVCPUs": a.MaxVCPUs,
				"instances": a.instances, "vcpus": a.vcpus, "balance": fmtMoney(a.available(s.now()))})
			continue
		}
		if kind == "buckets" {
			names := make([]string, 0, len(a.buckets))
			for n := range a.buckets {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if region == "" || a.buckets[n].Region == region {
					add(a.buckets[n])
				}
			}
			continue
		}
		for _, reg := range regions {
			if region != "" && reg.ID != region {
				continue
			}
			rs := a.regions[reg.ID]
			if rs == nil {
				continue
			}
			switch kind {
			case "instances":
				for _, v := range rs.Instances.order {
					add(v)
				}
			case "vpcs":
				for _, v := range rs.VPCs.order {
					add(v)
				}
			case "vswitches":
				for _, v := range rs.VSwitches.order {
					add(v)
				}
			case "securitygroups":
				for _, v := range rs.SGs.order {
					add(v)
				}
			case "disks":
				for _, v := range rs.Disks.order {
					add(v)
				}
			case "snapshots":
				for _, v := range rs.Snapshots.order {
					add(v)
				}
			case "enis":
				for _, v := range rs.ENIs.order {
					add(v)
				}
			case "eips":
				for _, v := range rs.EIPs.order {
					add(v)
				}
			case "images":
				for _, v := range rs.Images.order {
					add(v)
				}
			case "rds":
				for _, v := range rs.RDS.order {
					add(v)
				}
			case "redis":
				for _, v := range rs.Redis.order {
					add(v)
				}
			case "kafka":
				for _, v := range rs.Kafka.order {
					add(v)
				}
			}
		}
	}
	if items == nil {
		items = []any{}
	}
	adminJSON(w, http.StatusOK, obj{"kind": kind, "total": total, "items": items})
}
