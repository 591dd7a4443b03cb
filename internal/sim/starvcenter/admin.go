package starvcentersim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Status is what GET /_sim/status reports.
type Status struct {
	Tenants   []TenantStatus `json:"tenants"`
	Counts    map[string]int `json:"counts"`
	OpenTasks int            `json:"openTasks"`
	Config    RuntimeConfig  `json:"config"`
	StateDir  string         `json:"stateDir,omitempty"`
}

// TenantStatus is one tenant in Status.
type TenantStatus struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Tokens []string `json:"tokens"`
	VMs    int      `json:"vms"`
	Quota  Quota    `json:"quota"`
}

// RuntimeConfig is the part of the configuration /_sim/config reads and
// changes. Durations are Go duration strings ("250ms").
type RuntimeConfig struct {
	Latency      string   `json:"latency"`
	FailRate     *float64 `json:"failRate,omitempty"`
	TaskFailRate *float64 `json:"taskFailRate,omitempty"`
	TaskDuration string   `json:"taskDuration"`
}

// SetLatency changes the latency added to every API call.
func (s *Server) SetLatency(d time.Duration) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.rc.Latency = max(d, 0)
}

// SetFailRate changes the share of API calls that fail.
func (s *Server) SetFailRate(r float64) error {
	if r < 0 || r > 1 {
		return fmt.Errorf("fail rate %v not within [0,1]", r)
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.rc.FailRate = r
	return nil
}

func (s *Server) runtimeConfig() RuntimeConfig {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	fr, tfr := s.rc.FailRate, s.rc.TaskFailRate
	return RuntimeConfig{Latency: s.rc.Latency.String(), FailRate: &fr, TaskFailRate: &tfr, TaskDuration: s.rc.TaskDuration.String()}
}

// Status reports tenants, object counts and the runtime configuration.
func (s *Server) Status() Status {
	cfg := s.runtimeConfig()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	st := Status{Counts: map[string]int{
		"tenants": len(s.st.Tenants), "vms": len(s.st.VMs), "disks": len(s.st.Disks), "nics": len(s.st.NICs),
		"vpcs": len(s.st.VPCs), "backups": len(s.st.Backups), "snapshots": len(s.st.Snapshots),
		"vroutes": len(s.st.VRoutes), "natMappings": len(s.st.NATs), "accessRules": len(s.st.ACLs),
		"slbs": len(s.st.SLBs), "realNodes": len(s.st.RealNodes), "securityGroups": len(s.st.SecGroups),
		"securityGroupRules": len(s.st.SGRules), "hosts": len(s.st.Hosts), "storages": len(s.st.Storages),
		"alarms": len(s.st.Alarms), "outerIps": len(s.st.Pool), "tasks": len(s.st.Tasks),
	}, OpenTasks: len(s.open), Config: cfg, StateDir: s.dir}
	vms := map[string]int{}
	for _, v := range s.st.VMs {
		vms[v.TenantID]++
	}
	tokens := map[string][]string{}
	for _, tok := range sortedKeys(s.st.Tokens) {
		id := s.st.Tokens[tok]
		tokens[id] = append(tokens[id], tok)
	}
	for _, t := range sorted(s.st.Tenants, nil) {
		st.Tenants = append(st.Tenants, TenantStatus{ID: t.ID, Name: t.Name, Tokens: tokens[t.ID], VMs: vms[t.ID], Quota: t.Quota})
	}
	return st
}

// AddToken accepts another tenant token: for tenantID, or for a new tenant
// when tenantID is "". It returns the tenant id.
func (s *Server) AddToken(token, tenantID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirty = true
	return s.addToken(token, tenantID)
}

// Reset drops every object and starts over from a fresh state with the
// configured tokens.
func (s *Server) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState()
	s.open = nil
	s.seedInfra()
	for _, tok := range s.tokens {
		if _, err := s.addToken(tok, ""); err != nil {
			return err
		}
	}
	s.dirty = true
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim/"), "/")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	decode := func(v any) bool {
		if len(strings.TrimSpace(string(body))) == 0 {
			return true
		}
		if err := json.Unmarshal(body, v); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
			return false
		}
		return true
	}
	switch {
	case path == "status" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, s.Status())
	case path == "config" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, s.runtimeConfig())
	case path == "config" && (r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodPatch):
		var in RuntimeConfig
		if !decode(&in) {
			return
		}
		if err := s.applyRuntime(in); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, s.runtimeConfig())
	case path == "reset" && r.Method == http.MethodPost:
		if err := s.Reset(); err != nil {
			adminJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, s.Status())
	case path == "populate" && r.Method == http.MethodPost:
		var opt PopulateOptions
		if !decode(&opt) {
			return
		}
		if err := s.Populate(opt); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, s.Status())
	case path == "tokens" && r.Method == http.MethodPost:
		var in struct {
			Token    string `json:"token"`
			TenantID string `json:"tenantId"`
		}
		if !decode(&in) {
			return
		}
		id, err := s.AddToken(in.Token, in.TenantID)
		if err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"token": in.Token, "tenantId": id})
	case path == "vm" && r.Method == http.MethodPost:
		var in struct {
			VMID  string `json:"vmId"`
			State *int   `json:"state"`
			Lock  *int   `json:"lock"`
		}
		if !decode(&in) {
			return
		}
		if err := s.setVM(in.VMID, in.State, in.Lock); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"vmId": in.VMID})
	case path == "host" && r.Method == http.MethodPost:
		var in struct {
			HostID string `json:"hostId"`
			State  int    `json:"state"`
		}
		if !decode(&in) {
			return
		}
		if err := s.setHost(in.HostID, in.State); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"hostId": in.HostID})
	default:
		adminJSON(w, http.StatusNotFound, map[string]string{"error": "unknown admin endpoint " + r.Method + " /_sim/" + path,
			"endpoints": "GET status; GET|PUT config; POST reset, populate, tokens, vm, host"})
	}
}

func (s *Server) applyRuntime(in RuntimeConfig) error {
	var lat, dur time.Duration
	var err error
	if in.Latency != "" {
		if lat, err = time.ParseDuration(in.Latency); err != nil || lat < 0 {
			return errors.Join(fmt.Errorf("bad latency %q", in.Latency), err)
		}
	}
	if in.TaskDuration != "" {
		if dur, err = time.ParseDuration(in.TaskDuration); err != nil || dur <= 0 {
			return errors.Join(fmt.Errorf("bad taskDuration %q", in.TaskDuration), err)
		}
	}
	for _, r := range []*float64{in.FailRate, in.TaskFailRate} {
		if r != nil && (*r < 0 || *r > 1) {
			return fmt.Errorf("rates must be within [0,1]")
		}
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if in.Latency != "" {
		s.rc.Latency = lat
	}
	if in.TaskDuration != "" {
		s.rc.TaskDuration = dur
	}
	if in.FailRate != nil {
		s.rc.FailRate = *in.FailRate
	}
	if in.TaskFailRate != nil {
		s.rc.TaskFailRate = *in.TaskFailRate
	}
	return nil
}

// SetVMState sets a VM's state and lock code directly, for tests that need
// states the API cannot reach (migration locks, fault checking).
func (s *Server) SetVMState(vmID string, state, lock int) error {
	return s.setVM(vmID, &state, &lock)
}

func (s *Server) setVM(id string, state, lock *int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.VMs[id]
	if v == nil {
		return fmt.Errorf("vm %q not found", id)
	}
	if state != nil {
		if _, ok := VMStateNames[*state]; !ok {
			return fmt.Errorf("unknown vm state %d", *state)
		}
		v.State = *state
	}
	if lock != nil {
		if _, ok := LockNames[*lock]; !ok {
			return fmt.Errorf("unknown lock code %d", *lock)
		}
		v.Lock = *lock
	}
	s.dirty = true
	return nil
}

func (s *Server) setHost(id string, state int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.st.Hosts[id]
	if h == nil {
		return fmt.Errorf("host %q not found", id)
	}
	if _, ok := HostStateNames[state]; !ok {
		return fmt.Errorf("unknown host state %d", state)
	}
	h.State, h.Connected = state, state == HostRunning
	s.dirty = true
	return nil
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
