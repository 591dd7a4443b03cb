package starvcenter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cloud/starvcenter"
	"github.com/skyfold/skyfold/internal/errs"
	sim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

func TestBadToken(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	p, err := starvcenter.Open(ctx, w.config("wrong-token", ""))
	if err != nil {
		t.Fatal(err)
	}
	err = p.ValidateCredentials(ctx)
	if !errors.Is(err, cloud.ErrInvalidCredential) || errs.CodeOf(err) != errs.Unauthorized {
		t.Fatalf("ValidateCredentials(bad token) = %v; want invalid credential", err)
	}
	var ce *cloud.Error
	if !errors.As(err, &ce) || ce.Code != "1003" {
		t.Errorf("error %#v: want result code 1003", err)
	}
	r, _ := p.Region("starvcenter-127-0-0-1")
	if _, err := r.ListVPCs(ctx, cloud.PageRequest{}); !errors.Is(err, cloud.ErrInvalidCredential) {
		t.Errorf("ListVPCs(bad token) = %v", err)
	}
	// A good token with somebody else's tenant id is a bad credential pair.
	p2, _ := starvcenter.Open(ctx, w.config(testToken, "0123456789abcdef0123456789abcdef"))
	if err := p2.ValidateCredentials(ctx); !errors.Is(err, cloud.ErrInvalidCredential) {
		t.Errorf("ValidateCredentials(foreign tenant id) = %v; want invalid credential", err)
	}
	if _, err := starvcenter.Open(ctx, w.config("", "")); !errors.Is(err, cloud.ErrInvalidCredential) {
		t.Errorf("Open(no token) = %v", err)
	}
	cfg := w.config(testToken, "")
	cfg.Endpoint = "ftp://x"
	if _, err := starvcenter.Open(ctx, cfg); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("Open(ftp endpoint) = %v", err)
	}
	// Without a tenant id the account id is a digest of the token, stable.
	a1, _ := p.Account(ctx)
	a2, _ := p.Account(ctx)
	if a1.ID == "" || a1.ID != a2.ID || !strings.HasPrefix(a1.ID, "token-") || strings.Contains(a1.ID, "wrong-token") {
		t.Errorf("Account without tenant id = %+v", a1)
	}
	if _, err := p.Bills(ctx, cloud.BillQuery{}, cloud.PageRequest{}); !errors.Is(err, cloud.ErrNotSupported) {
		t.Errorf("Bills = %v; want not supported", err)
	}
	if _, err := p.Balance(ctx); !errors.Is(err, cloud.ErrNotSupported) {
		t.Errorf("Balance = %v; want not supported", err)
	}
	if _, err := p.Region("cn-hangzhou"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("Region(unknown) = %v; want not found", err)
	}
}

func TestLockedVM(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	if err := f.w.sim.SetVMState(f.vm, sim.VMRunning, 5); err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, cloud.ErrConflict) {
			t.Fatalf("%s on a locked VM: %v; want conflict", what, err)
		}
		if !strings.Contains(err.Error(), "快照创建中") {
			t.Errorf("%s: %q does not name the lock", what, err)
		}
		var le *starvcenter.LockedError
		if !errors.As(err, &le) || le.Code != 5 {
			t.Errorf("%s: no LockedError with code 5 in %v", what, err)
		}
	}
	// Refused by the driver, which reads the lock first ...
	check("StopInstances", f.r.StopInstances(ctx, []string{f.vm}, true))
	check("ChangeInstanceType", f.r.ChangeInstanceType(ctx, f.vm, "starv.2c2g"))
	check("DeleteInstances", f.r.DeleteInstances(ctx, []string{f.vm}, true))
	_, err := f.x.AddDisk(ctx, f.vm, 10, "")
	check("AddDisk", err)
	// ... and by StarVCenter, whose refusal names the lock code.
	check("SetVNCPassword", f.x.SetVNCPassword(ctx, f.vm, "abcdefgh"))
	check("ModifyInstance", f.x.ModifyInstance(ctx, f.vm, "x", ""))
	if in := f.instance(t); in.Status != cloud.StatusRunning || in.RawStatus != "1/lock=5" {
		t.Errorf("locked VM status %s raw %q", in.Status, in.RawStatus)
	}
	// Start and stop locks show as starting and stopping.
	if err := f.w.sim.SetVMState(f.vm, sim.VMStopped, 7); err != nil {
		t.Fatal(err)
	}
	if in := f.instance(t); in.Status != cloud.StatusStarting {
		t.Errorf("lock 7: status %s", in.Status)
	}
	if err := f.w.sim.SetVMState(f.vm, sim.VMFaultCheck, 0); err != nil {
		t.Fatal(err)
	}
	if in := f.instance(t); in.Status != cloud.StatusError || in.RawStatus != "-1" {
		t.Errorf("fault checking: status %s raw %q", in.Status, in.RawStatus)
	}
}

func TestQuotaExceeded(t *testing.T) {
	f := newFixture(t) // one 1-core VM
	ctx := ctxT(t)
	f.w.admin(t, http.MethodPut, "resourcequota/modify", map[string]any{"tenantId": f.w.tenant,
		"cpu": "4", "memory": "131072", "storage": "2048", "ip": "8", "vpc": "10"})
	req := cloud.CreateInstancesRequest{InstanceType: "starv.2c2g", SubnetID: f.vpc.ID, Name: "big", Amount: 2}
	// The driver checks the quota first (it knows the tenant id) ...
	_, err := f.r.CreateInstances(ctx, req)
	if !errors.Is(err, cloud.ErrQuotaExceeded) || errs.CodeOf(err) != errs.Quota {
		t.Fatalf("CreateInstances over quota = %v; want quota exceeded", err)
	}
	for _, want := range []string{"quota 4", "used 1", "requested 4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	dry := req
	dry.DryRun = true
	if _, err := f.r.CreateInstances(ctx, dry); !errors.Is(err, cloud.ErrQuotaExceeded) {
		t.Errorf("dry run over quota = %v", err)
	}
	// ... and makes fewer when MinAmount allows it.
	part := req
	part.Amount, part.MinAmount, part.Name = 3, 1, "part"
	res, err := f.r.CreateInstances(ctx, part)
	if err != nil || len(res.InstanceIDs) != 1 {
		t.Fatalf("CreateInstances(3, min 1) = %v, %v; want the one that fits", res.InstanceIDs, err)
	}
	// Without the tenant id StarVCenter refuses, with quota and usage.
	p2, err := starvcenter.Open(ctx, f.w.config(testToken, ""))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := p2.Region("starvcenter-127-0-0-1")
	_, err = r2.CreateInstances(ctx, req)
	if !errors.Is(err, cloud.ErrQuotaExceeded) {
		t.Fatalf("server-side quota refusal = %v", err)
	}
	for _, want := range []string{"配额4核", "已使用3核"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := r2.ChangeInstanceType(ctx, f.vm, "starv.8c1g"); !errors.Is(err, cloud.ErrQuotaExceeded) {
		t.Errorf("resize over quota = %v", err)
	}
}

// faultCounter counts the simulator's injected failures on the wire.
type faultCounter struct {
	base   http.RoundTripper
	faults atomic.Int64
	calls  atomic.Int64
}

func (c *faultCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.calls.Add(1)
	if r, derr := sim.DecodeResponse(body); derr == nil && strings.Contains(r.ResultInfo, "模拟故障") {
		c.faults.Add(1)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func TestFailRateRetried(t *testing.T) {
	w := newWorld(t, func(c *sim.Config) { c.FailRate = 0.15 })
	ctx := ctxT(t)
	fc := &faultCounter{base: w.srv.Client().Transport}
	cfg := w.config(testToken, w.tenant)
	cfg.HTTPClient = &http.Client{Transport: fc}
	raw, err := cloud.Open(ctx, "StarVCenter", cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := cloud.WithRetry(raw, cloud.RetryPolicy{MaxAttempts: 60, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	r, err := p.Region("starvcenter-127-0-0-1")
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if err := p.ValidateCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	vpc, err := r.CreateVPC(ctx, cloud.VPCSpec{Name: "flaky", ClientToken: "flaky-vpc"})
	must("CreateVPC", err)
	sg, err := r.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{VPCID: vpc.ID, Name: "flaky", ClientToken: "flaky-sg"})
	must("CreateSecurityGroup", err)
	must("AuthorizeRules", r.AuthorizeRules(ctx, sg.ID, []cloud.SecurityGroupRule{
		{Direction: cloud.Ingress, Protocol: "tcp", PortRange: "80/80", CIDR: "0.0.0.0/0"},
		{Direction: cloud.Ingress, Protocol: "tcp", PortRange: "443/443", CIDR: "0.0.0.0/0"}}))
	tags := map[string]string{"run": "flaky"}
	res, err := r.CreateInstances(ctx, cloud.CreateInstancesRequest{InstanceType: "starv.1c1g", SubnetID: vpc.ID,
		SecurityGroupIDs: []string{sg.ID}, Name: "flaky", Amount: 3, ClientToken: "flaky-batch", Tags: tags})
	must("CreateInstances", err)
	if len(res.InstanceIDs) != 3 {
		t.Fatalf("made %v", res.InstanceIDs)
	}
	all, err := cloud.Collect(ctx, 2, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		return r.ListInstances(ctx, cloud.InstanceQuery{Tags: tags}, pr)
	})
	must("ListInstances", err)
	if len(all) != 3 {
		t.Fatalf("listed %d tagged instances; want 3 (no duplicates)", len(all))
	}
	for _, in := range all {
		if in.Status != cloud.StatusRunning || len(in.SecurityGroupIDs) != 1 {
			t.Errorf("instance %s: %s, groups %v", in.ID, in.Status, in.SecurityGroupIDs)
		}
	}
	must("StopInstances", r.StopInstances(ctx, res.InstanceIDs, false))
	must("ChangeInstanceType", r.ChangeInstanceType(ctx, res.InstanceIDs[0], "starv.2c2g"))
	must("StartInstances", r.StartInstances(ctx, res.InstanceIDs))
	must("DeleteInstances", r.DeleteInstances(ctx, res.InstanceIDs, true))
	sgs, err := r.GetSecurityGroup(ctx, sg.ID)
	must("GetSecurityGroup", err)
	if len(sgs.Rules) != 2 {
		t.Errorf("rules %+v; want 2", sgs.Rules)
	}
	must("DeleteSecurityGroup", r.DeleteSecurityGroup(ctx, sg.ID))
	must("DeleteVPC", r.DeleteVPC(ctx, vpc.ID))
	if st := w.sim.Status(); st.Counts["vms"] != 0 || st.Counts["vpcs"] != 0 {
		t.Errorf("left behind: %v", st.Counts)
	}
	if fc.faults.Load() == 0 {
		t.Fatalf("no injected failure in %d calls: the test proves nothing", fc.calls.Load())
	}
	t.Logf("%d calls, %d injected failures, all retried", fc.calls.Load(), fc.faults.Load())
}

func setSim(t *testing.T, w *world, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, w.srv.URL+"/_sim/config", strings.NewReader(body))
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/_sim/config %s: %s", body, resp.Status)
	}
}

func TestFailedTasks(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	setSim(t, f.w, `{"taskFailRate": 1}`)
	err := f.x.ResizeCPU(ctx, f.vm, 2)
	var te *starvcenter.TaskError
	if !errors.As(err, &te) || te.Task.State != starvcenter.TaskFailed || !errors.Is(err, cloud.ErrProvider) {
		t.Fatalf("ResizeCPU with a failing task = %v; want a provider error with the task", err)
	}
	if !strings.Contains(err.Error(), "模拟任务失败") {
		t.Errorf("%q lacks the task's resultinfo", err)
	}
	// A create without a token is all or nothing: the VMs whose creation
	// failed are deleted. The hook lets the deletions succeed.
	hooked := &hookTransport{base: f.w.srv.Client().Transport, before: func(r *http.Request) {
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/cloudvm/") {
			setSim(t, f.w, `{"taskFailRate": 0}`)
		}
	}}
	cfg := f.w.config(testToken, f.w.tenant)
	cfg.HTTPClient = &http.Client{Transport: hooked}
	p2, err := starvcenter.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := p2.Region("starvcenter-127-0-0-1")
	before := f.w.sim.Status().Counts["vms"]
	res, err := r2.CreateInstances(ctx, cloud.CreateInstancesRequest{InstanceType: "starv.1c1g", SubnetID: f.vpc.ID, Name: "doomed", Amount: 2})
	if !errors.As(err, &te) || !errors.Is(err, cloud.ErrProvider) {
		t.Fatalf("CreateInstances with failing tasks = %v", err)
	}
	if after := f.w.sim.Status().Counts["vms"]; after != before || len(res.InstanceIDs) != 0 {
		t.Errorf("%d VMs before, %d after a failed create (result %v); want the failed ones removed", before, after, res.InstanceIDs)
	}
	// With a token the failed VMs are removed too, and a retry makes new ones.
	setSim(t, f.w, `{"taskFailRate": 1}`)
	req := cloud.CreateInstancesRequest{InstanceType: "starv.1c1g", SubnetID: f.vpc.ID, Name: "retry", Amount: 1, ClientToken: "tok-1"}
	if _, err := r2.CreateInstances(ctx, req); !errors.As(err, &te) {
		t.Fatalf("CreateInstances(token) with failing tasks = %v", err)
	}
	setSim(t, f.w, `{"taskFailRate": 0}`)
	res, err = r2.CreateInstances(ctx, req)
	if err != nil || len(res.InstanceIDs) != 1 {
		t.Fatalf("retry = %v, %v", res.InstanceIDs, err)
	}
	if in, err := r2.GetInstance(ctx, res.InstanceIDs[0]); err != nil || in.Status != cloud.StatusRunning {
		t.Fatalf("retried VM = %+v, %v", in, err)
	}
	if after := f.w.sim.Status().Counts["vms"]; after != before+1 {
		t.Errorf("%d VMs; want %d", after, before+1)
	}
}

// hookTransport runs before ahead of every request.
type hookTransport struct {
	base   http.RoundTripper
	before func(*http.Request)
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.before(r)
	return h.base.RoundTrip(r)
}

func TestTaskTimeout(t *testing.T) {
	w := newWorld(t, func(c *sim.Config) { c.TaskDuration = time.Hour })
	cfg := w.config(testToken, w.tenant)
	cfg.Options["task_timeout"] = "150ms"
	p, err := starvcenter.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Region("starvcenter-127-0-0-1")
	ctx := ctxT(t)
	vpc, err := r.CreateVPC(ctx, cloud.VPCSpec{Name: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// No deadline on the context: the driver's task_timeout bounds the wait.
	_, err = r.CreateInstances(context.Background(), cloud.CreateInstancesRequest{InstanceType: "starv.1c1g", SubnetID: vpc.ID, Amount: 1, ClientToken: "slow"})
	if !errors.Is(err, cloud.ErrUnavailable) || time.Since(start) > 10*time.Second {
		t.Fatalf("CreateInstances with a task that never ends = %v after %v", err, time.Since(start))
	}
	// The caller's own deadline ends the wait as well.
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := p.WaitTask(dctx, "100001"); err == nil {
		t.Fatal("WaitTask past the deadline succeeded")
	}
}

// TestUnexpectedResponses points the driver at a server that answers badly.
func TestUnexpectedResponses(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   error
	}{
		{"not base64", 200, "%%% not base64 %%%", cloud.ErrProvider},
		{"json array", 200, b64(`[1,2]`), cloud.ErrProvider},
		{"no result", 200, b64(`{"data":"x"}`), cloud.ErrProvider},
		{"data of the wrong shape", 200, b64(`{"result":"0","data":12}`), cloud.ErrProvider},
		{"unknown result code", 200, b64(`{"result":"42","resultinfo":"?"}`), cloud.ErrProvider},
		{"numeric result 1003", 200, b64(`{"result":1003,"resultinfo":"bad"}`), cloud.ErrInvalidCredential},
		{"server error", 502, "<html>bad gateway</html>", cloud.ErrUnavailable},
		{"no such endpoint", 404, b64(`{"result":"1","resultinfo":"接口不存在"}`), cloud.ErrNotSupported},
		{"throttled", 429, "", cloud.ErrThrottled},
		{"simulated fault", 200, b64(`{"result":"1","resultinfo":"模拟故障: 服务暂时不可用,请稍后重试"}`), cloud.ErrUnavailable},
		{"not found", 200, b64(`{"result":"1","resultinfo":"私网不存在: x"}`), cloud.ErrNotFound},
		{"plain json", 200, `{"result":"1","resultinfo":"参数vpc.id必须为字符串"}`, cloud.ErrInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("KEY_TOKEN") != "tok" {
					t.Errorf("KEY_TOKEN header %q", r.Header.Get("KEY_TOKEN"))
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			p, err := starvcenter.Open(context.Background(), cloud.AccountConfig{Endpoint: srv.URL, AccessKeySecret: "tok",
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			regions, _ := p.Regions(context.Background())
			r, _ := p.Region(regions[0].ID)
			_, err = r.GetVPC(context.Background(), "x")
			if !errors.Is(err, tc.kind) {
				t.Fatalf("GetVPC = %v; want %v", err, tc.kind)
			}
			if _, err := r.ListInstances(context.Background(), cloud.InstanceQuery{}, cloud.PageRequest{}); !errors.Is(err, tc.kind) {
				t.Errorf("ListInstances = %v; want %v", err, tc.kind)
			}
		})
	}
	// Unreachable: transient.
	p, _ := starvcenter.Open(context.Background(), cloud.AccountConfig{Endpoint: "http://127.0.0.1:1", AccessKeySecret: "tok",
		Logger: slog.New(slog.DiscardHandler)})
	if err := p.ValidateCredentials(context.Background()); !errors.Is(err, cloud.ErrUnavailable) {
		t.Errorf("unreachable server: %v; want unavailable", err)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
