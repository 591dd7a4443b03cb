package aliyunsim

import (
	gojson "github.com/goccy/go-json"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a simulator.
type Config struct {
	StateDir  string           // "" = keep state in memory only; else persist and reload state there
	Accounts  []Account        // credentials the simulator accepts (at least one)
	Latency   time.Duration    // added to every API call
	RateLimit float64          // API requests per second per access key; 0 = unlimited; beyond it: Throttling.User
	FailRate  float64          // 0..1 share of calls that fail with a retryable error (ServiceUnavailable, HTTP 503)
	Seed      int64            // randomness seed (deterministic runs)
	Now       func() time.Time // optional clock for tests; default time.Now (signature timestamps always use the wall clock)

	// StateDelay is how long each lifecycle step (Pending → Starting → Running,
	// Stopping → Stopped) takes. 0 means the default of one second; a negative
	// value makes transitions immediate.
	StateDelay time.Duration
	// IdleShare is the share (0..1) of instances created through the API that
	// are idle in generated monitoring data. 0 means the default of 0.2;
	// a negative value means none.
	IdleShare float64
	// PersistDebounce is how long state must be quiet before it is written;
	// 0 means one second.
	PersistDebounce time.Duration
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
}

// Account is a simulated Aliyun account and its credential.
type Account struct {
	AccessKeyID, AccessKeySecret string
	AccountID                    string // numeric-looking Aliyun account UID, e.g. "1423762516458388"
	Name                         string
	MaxInstances                 int    // quota; 0 = a sensible default (e.g. 100000)
	MaxVCPUs                     int    // quota; 0 = default
	Balance                      string // decimal CNY, default e.g. "100000.00"
}

const (
	defaultMaxInstances = 100000
	defaultMaxVCPUs     = 1000000
	defaultBalance      = "100000.00"
	defaultStateDelay   = time.Second
	defaultIdleShare    = 0.2
)

// Server is a running simulator. Its Handler serves every product.
type Server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu sync.RWMutex // guards st and everything reachable from it
	st *state

	tmu      sync.Mutex // guards tun, limiters and rng
	tun      tunables
	limiters map[string]*tokenBucket
	rng      *rand.Rand

	nonces   *nonceCache
	requests atomic.Int64
	products map[string]*product

	persist *persister
	closed  atomic.Bool

	adminOnce sync.Once
	admin     *http.ServeMux
}

// tunables are the knobs the admin API changes at run time.
type tunables struct {
	Latency    time.Duration
	RateLimit  float64
	FailRate   float64
	StateDelay time.Duration
	IdleShare  float64
}

// New builds a simulator, reloading state from cfg.StateDir when it holds one.
func New(cfg Config) (*Server, error) {
	if len(cfg.Accounts) == 0 {
		return nil, errors.New("aliyunsim: at least one account is required")
	}
	if cfg.FailRate < 0 || cfg.FailRate > 1 {
		return nil, fmt.Errorf("aliyunsim: fail rate %v is outside 0..1", cfg.FailRate)
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("aliyunsim: rate limit %v is negative", cfg.RateLimit)
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Now,
		limiters: map[string]*tokenBucket{},
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15)),
		nonces:   newNonceCache(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.tun = tunables{Latency: cfg.Latency, RateLimit: cfg.RateLimit, FailRate: cfg.FailRate, StateDelay: cfg.StateDelay, IdleShare: cfg.IdleShare}
	if s.tun.StateDelay == 0 {
		s.tun.StateDelay = defaultStateDelay
	}
	if s.tun.IdleShare == 0 {
		s.tun.IdleShare = defaultIdleShare
	}
	s.st = newState(cfg.Seed)
	if cfg.StateDir != "" {
		loaded, err := loadState(cfg.StateDir)
		if err != nil {
			return nil, err
		}
		if loaded != nil {
			s.st = loaded
			s.log.Info("aliyunsim: state reloaded", "dir", cfg.StateDir, "accounts", len(loaded.accounts))
		}
	}
	for _, a := range cfg.Accounts {
		if _, err := s.st.addAccount(a, s.now()); err != nil {
			return nil, err
		}
	}
	s.products = s.buildProducts()
	if cfg.StateDir != "" {
		s.persist = newPersister(s, cfg.StateDir, cfg.PersistDebounce)
	}
	return s, nil
}

// Handler serves every product on one listener: RPC-style APIs routed by
// Action and Version, OSS by its Authorization header, and the admin API under
// /_sim/.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close stops background work and writes the state one last time.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.persist != nil {
		return s.persist.close()
	}
	return nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_sim" || strings.HasPrefix(r.URL.Path, "/_sim/"):
		s.serveAdmin(w, r)
	case isOSSRequest(r):
		s.serveOSS(w, r)
	default:
		s.serveRPC(w, r)
	}
}

// saveCreate writes the state at once after a create, before the answer
// goes out: a client that was told an id must find the object after a
// crash, as it would on the real cloud. Other changes wait for the
// debounced save.
func (s *Server) saveCreate(action string) *apiError {
	if s.persist == nil || !isCreate(action) {
		return nil
	}
	if err := s.persist.save(); err != nil {
		s.log.Error("aliyunsim: persist state after a create", "action", action, "err", err)
		return errf(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error.")
	}
	return nil
}

// isCreate reports whether an action makes objects (and names them).
func isCreate(action string) bool {
	for _, p := range []string{"Run", "Create", "Allocate", "Copy", "Import", "Purchase"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// markDirty tells the persister that state changed.
func (s *Server) markDirty() {
	if s.persist != nil {
		s.persist.poke()
	}
}

func (s *Server) tunablesNow() tunables {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	return s.tun
}

// sleepLatency waits the configured latency or until the request is cancelled.
func sleepLatency(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// admit applies the per-key rate limit and the injected failure rate.
func (s *Server) admit(ak string) *apiError {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if s.tun.RateLimit > 0 {
		b := s.limiters[ak]
		if b == nil {
			b = &tokenBucket{}
			s.limiters[ak] = b
		}
		if ok, wait := b.take(time.Now(), s.tun.RateLimit); !ok {
			e := errThrottled()
			ms := wait.Milliseconds() + 1
			e.Header = map[string]string{
				"x-ratelimit-user-api": fmt.Sprintf("Limit:%d,Remain:0,TimeLeft:%d,Reset:%d", int(s.tun.RateLimit+0.5), ms, time.Now().Add(wait).UnixMilli()),
			}
			return e
		}
	}
	if s.tun.FailRate > 0 && s.rng.Float64() < s.tun.FailRate {
		return errUnavailable()
	}
	return nil
}

// tokenBucket allows rate requests per second with a burst of one second.
type tokenBucket struct {
	tokens float64
	last   time.Time
	primed bool
}

func (b *tokenBucket) take(now time.Time, rate float64) (bool, time.Duration) {
	burst := rate
	if burst < 1 {
		burst = 1
	}
	if !b.primed {
		b.tokens, b.last, b.primed = burst, now, true
	}
	b.tokens += now.Sub(b.last).Seconds() * rate
	if b.tokens > burst {
		b.tokens = burst
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// product is one RPC product: its API version, code and actions.
type product struct {
	name    string // Ecs, Vpc, ...
	host    string // the HostId Aliyun reports
	actions map[string]action
}

type action struct {
	fn    func(c *call) (any, *apiError)
	write bool
}

// call is the context one RPC handler runs in.
type call struct {
	s      *Server
	r      *http.Request
	p      params
	acct   *account
	ak     string
	id     string
	now    time.Time
	action string
	tun    tunables
	write  bool // the handler holds the write lock
}

type obj = map[string]any

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	n := s.requests.Add(1)
	tun := s.tunablesNow()
	sleepLatency(r.Context(), tun.Latency)
	host := "aliyuncs.com"
	fail := func(e *apiError) {
		writeRPCError(w, reqID, host, "", e)
		s.log.Debug("aliyunsim: rpc error", "request_id", reqID, "code", e.Code, "status", e.Status)
	}
	c, aerr := parseRPC(r)
	if aerr != nil {
		fail(aerr)
		return
	}
	prod := s.products[c.version]
	if prod != nil {
		host = prod.host
	}
	if c.accessK == "" {
		fail(errMissing("AccessKeyId"))
		return
	}
	s.mu.RLock()
	ke, ok := s.st.keys[c.accessK]
	s.mu.RUnlock()
	if !ok {
		fail(errf(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found."))
		return
	}
	if aerr := s.verifyRPC(r, c, ke.secret); aerr != nil {
		fail(aerr)
		return
	}
	if aerr := s.admit(c.accessK); aerr != nil {
		fail(aerr)
		return
	}
	if c.version == "" {
		fail(errMissing("Version"))
		return
	}
	if prod == nil {
		fail(errf(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid."))
		return
	}
	if c.action == "" {
		fail(errMissing("Action"))
		return
	}
	act, ok := prod.actions[c.action]
	if !ok {
		fail(errf(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."))
		return
	}
	cl := &call{s: s, r: r, p: c.params, acct: ke.acct, ak: c.accessK, id: reqID, action: c.action, tun: tun, write: act.write}
	var res any
	if act.write {
		s.mu.Lock()
		cl.now = s.now()
		res, aerr = act.fn(cl)
		s.mu.Unlock()
		if aerr == nil {
			s.markDirty()
			aerr = s.saveCreate(c.action)
		}
	} else {
		s.mu.RLock()
		cl.now = s.now()
		res, aerr = act.fn(cl)
		s.mu.RUnlock()
	}
	if aerr != nil {
		writeRPCErrorProduct(w, reqID, prod, aerr)
		s.log.Debug("aliyunsim: rpc error", "request_id", reqID, "action", c.action, "code", aerr.Code)
		return
	}
	if o, ok := res.(obj); ok && o["RequestId"] == nil {
		o["RequestId"] = reqID // every Aliyun response carries one
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 4<<20 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	// A fast encoder: a page of 100 instances is ~150 KB, and a sync of a
	// large account asks for thousands of them.
	enc := gojson.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		writeRPCErrorProduct(w, reqID, prod, errInternal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	if n%10000 == 0 {
		s.log.Debug("aliyunsim: requests served", "count", n)
	}
}

func writeRPCErrorProduct(w http.ResponseWriter, reqID string, p *product, e *apiError) {
	writeRPCError(w, reqID, p.host, p.name, e)
}

func writeRPCError(w http.ResponseWriter, reqID, host, productName string, e *apiError) {
	if productName == "" {
		productName = "Ecs"
	}
	body, _ := json.Marshal(struct {
		RequestId string
		HostId    string
		Code      string
		Message   string
		Recommend string
	}{reqID, host, e.Code, e.Message,
		"https://api.aliyun.com/troubleshoot?q=" + e.Code + "&product=" + productName + "&requestId=" + reqID})
	for k, v := range e.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

var reqCounter atomic.Uint64

// bufPool recycles response buffers: a page of 100 instances is ~100 KB.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// newRequestID returns an Aliyun-shaped request id (upper-case UUID).
func newRequestID() string {
	a := rand.Uint64()
	b := rand.Uint64() ^ reqCounter.Add(1)
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", uint32(a>>32), uint16(a>>16), uint16(a)&0x0fff|0x4000, uint16(b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}
