// Package starvcentersim is a simulator of StarVCenter, a multi-tenant private
// cloud, speaking the wire protocol of its third-party integration API (seed
// document 001): the tenant token in the KEY_TOKEN header, business
// parameters as Base64-encoded JSON in the KEY_PARAM form field, and
// Base64-encoded JSON envelopes with result, data, startid, dataCount and
// resultinfo.
//
// The package owns the simulated cloud's state: tenants and their quotas,
// VMs with their state and lock codes, disks, NICs, VPCs, NAT mappings,
// access rules, backups, snapshots, virtual routers, load balancers,
// security groups, hosts, storages, alarms and the task log through which
// asynchronous operations report. Asynchronous operations advance with the
// (injectable) clock, monitoring series are pure functions of object id and
// time, and the state can be kept in a directory across restarts. Latency
// and failures can be injected, at start or at run time through /_sim/.
//
// Choices made where the document is silent or inconsistent are listed in
// COMPAT.md beside this file.
package starvcentersim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config configures a simulator.
type Config struct {
	// StateDir keeps the state across restarts; "" keeps it in memory only.
	StateDir string
	// Tokens are accepted tenant tokens (KEY_TOKEN); each maps to its own
	// tenant, created on first start.
	Tokens []string
	// AdminToken, when set, is a platform token that may create tenants,
	// change any tenant's quota and see every tenant's resources.
	AdminToken string
	// Latency is added to every API call.
	Latency time.Duration
	// FailRate is the share of API calls that fail (result 1, nothing changed).
	FailRate float64
	// TaskFailRate is the share of asynchronous tasks that end in failure.
	TaskFailRate float64
	// Seed makes ids, injected faults and generated values repeatable.
	Seed int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TaskDuration is how long an asynchronous operation takes; the first
	// fifth of it the task is queued. Zero means 1.5 s.
	TaskDuration time.Duration
	// SaveInterval is how often a changed state is written; zero means 200 ms.
	SaveInterval time.Duration
	// Logger receives request and lifecycle logs; nil means slog.Default().
	Logger *slog.Logger
}

// runtimeConfig is what /_sim/config may change while running.
type runtimeConfig struct {
	Latency      time.Duration
	FailRate     float64
	TaskFailRate float64
	TaskDuration time.Duration
}

// Server is a StarVCenter simulator. Its Handler serves the API under
// BasePath and the simulator's admin endpoints under /_sim/.
type Server struct {
	seed  int64
	now   func() time.Time
	log   *slog.Logger
	dir   string
	admin string

	cfgMu sync.Mutex
	rc    runtimeConfig
	fault *rand.Rand // guarded by cfgMu

	mu     sync.Mutex
	st     *state
	open   []*task // unfinished tasks, in creation order
	dirty  bool
	closed bool

	routes  map[string]*route
	methods map[string][]string

	saveInterval time.Duration
	stop         chan struct{}
	saverDone    chan struct{}
	closeOnce    sync.Once
	closeErr     error
	tokens       []string
}

// New builds a simulator, loading its state from cfg.StateDir when one was
// saved there before.
func New(cfg Config) (*Server, error) {
	if cfg.FailRate < 0 || cfg.FailRate > 1 || cfg.TaskFailRate < 0 || cfg.TaskFailRate > 1 {
		return nil, fmt.Errorf("starvcenter sim: fail rates must be within [0,1]")
	}
	s := &Server{
		seed:  cfg.Seed,
		now:   cfg.Now,
		log:   cfg.Logger,
		dir:   cfg.StateDir,
		admin: strings.TrimSpace(cfg.AdminToken),
		rc: runtimeConfig{Latency: cfg.Latency, FailRate: cfg.FailRate, TaskFailRate: cfg.TaskFailRate,
			TaskDuration: cfg.TaskDuration},
		fault:        rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed)),
		saveInterval: cfg.SaveInterval,
		tokens:       cfg.Tokens,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.rc.TaskDuration <= 0 {
		s.rc.TaskDuration = 1500 * time.Millisecond
	}
	if s.saveInterval <= 0 {
		s.saveInterval = 200 * time.Millisecond
	}
	s.buildRoutes()
	loaded, err := s.load()
	if err != nil {
		return nil, err
	}
	if !loaded {
		s.st = newState()
		s.seedInfra()
	}
	for _, tok := range cfg.Tokens {
		if _, err := s.addToken(tok, ""); err != nil {
			return nil, err
		}
	}
	if s.dir != "" {
		s.dirty = true
		if err := s.saveLocked(); err != nil {
			return nil, err
		}
		s.stop = make(chan struct{})
		s.saverDone = make(chan struct{})
		go s.saver()
	}
	s.log.Info("starvcenter sim ready", "tenants", len(s.st.Tenants), "vms", len(s.st.VMs), "stateDir", s.dir, "loaded", loaded)
	return s, nil
}

// Close stops the state writer and writes the state a last time.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.saverDone
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.advance(s.now())
		s.closed = true
		if s.dir != "" {
			s.dirty = true
			s.closeErr = s.saveLocked()
		}
	})
	return s.closeErr
}

// saver writes the state when it changed; it ends when Close closes stop.
func (s *Server) saver() {
	defer close(s.saverDone)
	t := time.NewTicker(s.saveInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if err := s.saveLocked(); err != nil {
				s.log.Error("starvcenter sim: save state", "err", err)
			}
			s.mu.Unlock()
		}
	}
}

// Handler serves the API under BasePath, the service listing at
// ServicesPath and the simulator's admin endpoints under /_sim/.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == BasePath || strings.HasPrefix(p, BasePath+"/"):
			s.serveAPI(w, r)
		case p == ServicesPath || p == ServicesPath+"/":
			s.serveListing(w)
		case strings.HasPrefix(p, "/_sim/"):
			s.serveAdmin(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// call is one API request, seen by a handler.
type call struct {
	s      *Server
	now    time.Time
	tenant *tenant // nil for the admin token
	admin  bool
	p      params
	id     string // the path parameter, if the route has one
}

// sees reports whether the caller may see an object of the tenant.
func (c *call) sees(tenantID string) bool {
	return c.admin || (c.tenant != nil && c.tenant.ID == tenantID)
}

// owner returns the tenant new resources go to. A tenant token may only name
// itself; the admin token must name a tenant.
func (c *call) owner(key string) (*tenant, *apiErr) {
	id := c.p.str(key)
	if !c.admin {
		if id != "" && id != c.tenant.ID {
			return nil, failf("无权操作其他租户的资源: %s=%s", key, id)
		}
		return c.tenant, nil
	}
	if id == "" {
		return nil, failf("管理令牌创建资源须指定租户编号: %s", key)
	}
	t := c.s.st.Tenants[id]
	if t == nil {
		return nil, failf("租户不存在: %s", id)
	}
	return t, nil
}

type handlerFunc func(c *call) (*reply, *apiErr)

type route struct {
	method   string
	path     string // segments joined by '/', "{}" for the path parameter
	h        handlerFunc
	readOnly bool
	admin    bool
}

const maxBody = 4 << 20

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	key := normPath(strings.TrimPrefix(r.URL.Path, BasePath))
	rt, status := s.match(r.Method, key)
	if rt == nil {
		msg := "接口不存在: " + key
		if status == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("请求方式错误: %s %s, 应为%s", r.Method, key, strings.Join(s.methods[key], "/"))
			if len(s.methods[key]) == 0 {
				msg = fmt.Sprintf("请求方式错误: %s %s", r.Method, key)
			}
		}
		s.write(w, status, &Response{Result: ResultFailed, ResultInfo: msg})
		return
	}
	id := ""
	if rt.path != key {
		id = lastSeg(key)
	}
	resp := s.dispatch(r, rt, id)
	s.write(w, http.StatusOK, resp)
	s.log.Debug("starvcenter sim call", "method", r.Method, "path", key, "result", resp.Result,
		"info", resp.ResultInfo, "took", time.Since(start))
}

// dispatch authenticates, decodes KEY_PARAM, injects latency and faults and
// runs the handler under the state lock.
func (s *Server) dispatch(r *http.Request, rt *route, id string) *Response {
	token := strings.TrimSpace(r.Header.Get(HeaderToken))
	s.mu.Lock()
	ten, admin := s.authLocked(token)
	s.mu.Unlock()
	if ten == nil && !admin {
		return &Response{Result: ResultAuthError, ResultInfo: "认证失败: 租户令牌号无效"}
	}
	if rt.admin && !admin {
		return &Response{Result: ResultFailed, ResultInfo: "无权限: 该操作须使用管理令牌"}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if err := r.ParseMultipartForm(maxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return &Response{Result: ResultFailed, ResultInfo: "请求体解析失败: " + err.Error()}
	}
	m, err := DecodeParam(r.Form.Get(FormParam))
	switch {
	case errors.Is(err, ErrBadBase64):
		return &Response{Result: ResultFailed, ResultInfo: "KEY_PARAM参数Base64解码失败"}
	case err != nil:
		return &Response{Result: ResultFailed, ResultInfo: "KEY_PARAM参数不是有效的JSON对象"}
	}
	s.cfgMu.Lock()
	rc := s.rc
	injected := rc.FailRate > 0 && s.fault.Float64() < rc.FailRate
	s.cfgMu.Unlock()
	if rc.Latency > 0 {
		if err := sleepCtx(r.Context(), rc.Latency); err != nil {
			return &Response{Result: ResultFailed, ResultInfo: "请求已取消"}
		}
	}
	if injected {
		return &Response{Result: ResultFailed, ResultInfo: "模拟故障: 服务暂时不可用,请稍后重试"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return &Response{Result: ResultFailed, ResultInfo: "服务已停止"}
	}
	now := s.now()
	s.advance(now)
	// Re-read the tenant: the token's tenant may have changed under reset.
	ten, admin = s.authLocked(token)
	if ten == nil && !admin {
		return &Response{Result: ResultAuthError, ResultInfo: "认证失败: 租户令牌号无效"}
	}
	c := &call{s: s, now: now, tenant: ten, admin: admin, p: newParams(m), id: id}
	rep, e := rt.h(c)
	if e != nil {
		return &Response{Result: e.code, ResultInfo: e.info}
	}
	if !rt.readOnly {
		s.dirty = true
	}
	return s.envelope(rep)
}

func (s *Server) envelope(rep *reply) *Response {
	resp := &Response{Result: ResultOK}
	if rep == nil {
		return resp
	}
	if rep.hasData {
		b, err := json.Marshal(rep.data)
		if err != nil {
			s.log.Error("starvcenter sim: marshal data", "err", err)
			return &Response{Result: ResultFailed, ResultInfo: "内部错误"}
		}
		resp.Data = b
	}
	resp.StartID = rep.startID
	if rep.hasCount {
		n := rep.count
		resp.DataCount = &n
	}
	return resp
}

func (s *Server) authLocked(token string) (*tenant, bool) {
	if token == "" {
		return nil, false
	}
	if s.admin != "" && token == s.admin {
		return nil, true
	}
	if id, ok := s.st.Tokens[token]; ok {
		return s.st.Tenants[id], false
	}
	return nil, false
}

func (s *Server) write(w http.ResponseWriter, status int, resp *Response) {
	body, err := EncodeResponse(resp)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// normPath turns the path after BasePath into its segments joined by '/':
// blanks inside a segment are dropped (the document writes "cloud slb/modify"
// and "cloudsegroup /vnic/unbind"), and so are empty segments.
func normPath(p string) string {
	var segs []string
	for _, seg := range strings.Split(p, "/") {
		seg = strings.Join(strings.Fields(seg), "")
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	return strings.Join(segs, "/")
}

func lastSeg(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// match finds the route: a literal path first, then one whose last segment
// is the path parameter.
func (s *Server) match(method, key string) (*route, int) {
	if rt := s.routes[method+" "+key]; rt != nil {
		return rt, http.StatusOK
	}
	wild := "{}"
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		wild = key[:i+1] + "{}"
	}
	if _, literal := s.methods[key]; !literal {
		if rt := s.routes[method+" "+wild]; rt != nil {
			return rt, http.StatusOK
		}
		if _, ok := s.methods[wild]; ok {
			return nil, http.StatusMethodNotAllowed
		}
		return nil, http.StatusNotFound
	}
	// A literal path with another method may still be a path parameter
	// (DELETE cloudvm/{id} where id happens to be "model").
	if rt := s.routes[method+" "+wild]; rt != nil {
		return rt, http.StatusOK
	}
	return nil, http.StatusMethodNotAllowed
}

func (s *Server) handle(method, path string, h handlerFunc) *route {
	rt := &route{method: method, path: path, h: h, readOnly: method == http.MethodGet}
	if s.routes == nil {
		s.routes = map[string]*route{}
		s.methods = map[string][]string{}
	}
	s.routes[method+" "+path] = rt
	s.methods[path] = append(s.methods[path], method)
	return rt
}

// read registers a route that changes nothing.
func (s *Server) read(method, path string, h handlerFunc) {
	s.handle(method, path, h).readOnly = true
}

func (s *Server) serveListing(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	fmt.Fprintf(w, "StarVCenter simulator - REST services\nBaseURL: %s\n\n", BasePath)
	keys := make([]string, 0, len(s.routes))
	for k := range s.routes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(s.routes[a].path, s.routes[b].path), cmp.Compare(a, b))
	})
	for _, k := range keys {
		rt := s.routes[k]
		fmt.Fprintf(w, "%-6s %s/%s\n", rt.method, BasePath, strings.ReplaceAll(rt.path, "{}", "{id}"))
	}
}
