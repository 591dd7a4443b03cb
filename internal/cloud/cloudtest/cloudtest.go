// Package cloudtest is the conformance suite every cloud driver must pass.
// Run drives a provider through the life of a small deployment (VPC →
// subnet → security group and rules → a batch of instances → stop, start,
// delete) and checks idempotency, paging, dry runs and error mapping, each
// step a subtest named after its case.
package cloudtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
)

// Options tunes the suite to a cloud or a simulator.
type Options struct {
	// Region is the region to work in (required).
	Region string
	// ZoneID, ImageID and InstanceType default to the first the driver lists.
	ZoneID       string
	ImageID      string
	InstanceType string
	// VPCCIDR and SubnetCIDR default to 172.16.0.0/16 and 172.16.1.0/24.
	VPCCIDR    string
	SubnetCIDR string
	// BatchSize is how many instances the idempotent batch creates (default 2).
	BatchSize int
	// PageSize is the page size of the paging case (default 2); the case
	// creates PageSize*2+1 instances so the listing spans several pages.
	PageSize int
	// PublicBandwidth > 0 asks for public IPs and checks they appear.
	PublicBandwidth int
	// InvalidCredentials opens the same cloud with a wrong secret; nil skips
	// the invalid-credential case.
	InvalidCredentials func(t *testing.T) cloud.Provider
	// PollInterval and WaitTimeout bound every wait (defaults 100ms, 2m).
	PollInterval time.Duration
	WaitTimeout  time.Duration
}

func (o *Options) defaults() {
	if o.VPCCIDR == "" {
		o.VPCCIDR = "172.16.0.0/16"
	}
	if o.SubnetCIDR == "" {
		o.SubnetCIDR = "172.16.1.0/24"
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 2
	}
	if o.PageSize <= 0 {
		o.PageSize = 2
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 2 * time.Minute
	}
}

// state is what the cases hand each other.
type state struct {
	opts   Options
	p      cloud.Provider
	r      cloud.RegionClient
	run    string // unique per run; used in names, tokens and tags
	vpc    cloud.VPC
	subnet cloud.Subnet
	sg     cloud.SecurityGroup
	batch  []string // instance ids of the idempotent batch
}

// Run runs the conformance suite against the provider newProvider opens.
func Run(t *testing.T, newProvider func(t *testing.T) cloud.Provider, opts Options) {
	t.Helper()
	opts.defaults()
	if opts.Region == "" {
		t.Fatal("cloudtest: Options.Region is required")
	}
	p := newProvider(t)
	r, err := p.Region(opts.Region)
	if err != nil {
		t.Fatalf("Region(%q): %v", opts.Region, err)
	}
	s := &state{opts: opts, p: p, r: r, run: runID()}
	t.Cleanup(func() { s.cleanup(t) })

	cases := []struct {
		name string
		fn   func(t *testing.T, s *state)
	}{
		{"Account", testAccount},
		{"RegionsAndZones", testRegionsAndZones},
		{"Catalog", testCatalog},
		{"CreateVPC", testCreateVPC},
		{"CreateSubnet", testCreateSubnet},
		{"CreateSecurityGroup", testCreateSecurityGroup},
		{"SecurityGroupRules", testSecurityGroupRules},
		{"DryRun", testDryRun},
		{"CreateInstancesIdempotent", testCreateInstancesIdempotent},
		{"WaitRunning", testWaitRunning},
		{"StopStart", testStopStart},
		{"Paging", testPaging},
		{"DeleteInstances", testDeleteInstances},
		{"ErrorNotFound", testErrorNotFound},
		{"ErrorInvalidParameter", testErrorInvalidParameter},
		{"ErrorInvalidCredentials", testErrorInvalidCredentials},
		{"DeleteNetwork", testDeleteNetwork},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, s) })
	}
}

func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "ct" + hex.EncodeToString(b)
}

func ctxFor(t *testing.T, s *state) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.WaitTimeout+time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it reports done, fails, or the wait times out.
func waitFor(ctx context.Context, t *testing.T, s *state, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(s.opts.WaitTimeout)
	for {
		done, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out after %v", what, s.opts.WaitTimeout)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(s.opts.PollInterval):
		}
	}
}

func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		t.Skipf("needs %s from an earlier case", what)
	}
}

// checkMeta checks what every object must carry.
func checkMeta(t *testing.T, kind string, m cloud.Meta) {
	t.Helper()
	if m.ID == "" {
		t.Errorf("%s: empty ID", kind)
	}
	if m.GlobalID == "" {
		t.Errorf("%s %s: empty GlobalID", kind, m.ID)
	}
	if !m.Status.Known() {
		t.Errorf("%s %s: status %q is not a normalised status", kind, m.ID, m.Status)
	}
}

func testAccount(t *testing.T, s *state) {
	ctx := ctxFor(t, s)
	if err := s.p.ValidateCredentials(ctx); err != nil {
		t.Fatalf("ValidateCredentials: %v", err)
	}
	a, err := s.p.Account(ctx)
	if err != nil || a.ID == "" {
		t.Fatalf("Account = %+v, %v; want an id", a, err)
	}
	subs, err := s.p.SubAccounts(ctx)
	if err != nil && !errors.Is(err, cloud.ErrNotSupported) {
		t.Fatalf("SubAccounts: %v", err)
	}
	if err == nil && len(subs) == 0 {
		t.Errorf("SubAccounts: none; want at least the account itself")
	}
	if s.p.Name() == "" || len(s.p.Capabilities()) == 0 {
		t.Errorf("Name %q, Capabilities %v: want both", s.p.Name(), s.p.Capabilities())
	}
}

func testRegionsAndZones(t *testing.T, s *state) {
	ctx := ctxFor(t, s)
	regions, err := s.p.Regions(ctx)
	if err != nil {
		t.Fatalf("Regions: %v", err)
	}
	if !slices.ContainsFunc(regions, func(r cloud.Region) bool { return r.ID == s.opts.Region }) {
		t.Fatalf("Regions: %s not among %d regions", s.opts.Region, len(regions))
	}
	zones, err := s.r.Zones(ctx)
	if err != nil || len(zones) == 0 {
		t.Fatalf("Zones = %d zones, %v; want some", len(zones), err)
	}
	if s.opts.ZoneID == "" {
		s.opts.ZoneID = zones[0].ID
	} else if !slices.ContainsFunc(zones, func(z cloud.Zone) bool { return z.ID == s.opts.ZoneID }) {
		t.Fatalf("Zones: %s not found", s.opts.ZoneID)
	}
}

func testCatalog(t *testing.T, s *state) {
	ctx := ctxFor(t, s)
	types, err := s.r.InstanceTypes(ctx)
	if err != nil || len(types) == 0 {
		t.Fatalf("InstanceTypes = %d, %v; want some", len(types), err)
	}
	for _, it := range types {
		if it.ID == "" || it.CPU <= 0 || it.MemoryMiB <= 0 {
			t.Fatalf("instance type %+v: want id, cpu and memory", it)
		}
	}
	if s.opts.InstanceType == "" {
		best := types[0]
		for _, it := range types {
			if it.CPU < best.CPU || (it.CPU == best.CPU && it.MemoryMiB < best.MemoryMiB) {
				best = it
			}
		}
		s.opts.InstanceType = best.ID
	}
	if s.opts.ImageID == "" {
		page, err := s.r.Images(ctx, cloud.ImageQuery{}, cloud.PageRequest{Size: 10})
		if err != nil || len(page.Items) == 0 {
			t.Fatalf("Images = %d, %v; want some", len(page.Items), err)
		}
		s.opts.ImageID = page.Items[0].ID
	}
}

func testCreateVPC(t *testing.T, s *state) {
	ctx := ctxFor(t, s)
	v, err := s.r.CreateVPC(ctx, cloud.VPCSpec{Name: s.run + "-vpc", CIDR: s.opts.VPCCIDR, ClientToken: s.run + "-vpc"})
	if err != nil {
		t.Fatalf("CreateVPC: %v", err)
	}
	checkMeta(t, "vpc", v.Meta)
	s.vpc = v
	waitFor(ctx, t, s, "vpc available", func() (bool, error) {
		got, err := s.r.GetVPC(ctx, v.ID)
		if err != nil {
			return false, err
		}
		s.vpc = got
		return got.Status == cloud.StatusRunning, nil
	})
	if s.vpc.CIDR != s.opts.VPCCIDR {
		t.Errorf("vpc CIDR = %q, want %q", s.vpc.CIDR, s.opts.VPCCIDR)
	}
	all, err := cloud.Collect(ctx, 0, s.r.ListVPCs)
	if err != nil {
		t.Fatalf("ListVPCs: %v", err)
	}
	if !slices.ContainsFunc(all, func(x cloud.VPC) bool { return x.ID == v.ID }) {
		t.Errorf("ListVPCs: %s missing", v.ID)
	}
}

func testCreateSubnet(t *testing.T, s *state) {
	need(t, s.vpc.ID != "" && s.opts.ZoneID != "", "a VPC and a zone")
	ctx := ctxFor(t, s)
	sn, err := s.r.CreateSubnet(ctx, cloud.SubnetSpec{VPCID: s.vpc.ID, ZoneID: s.opts.ZoneID, CIDR: s.opts.SubnetCIDR,
		Name: s.run + "-subnet", ClientToken: s.run + "-subnet"})
	if err != nil {
		t.Fatalf("CreateSubnet: %v", err)
	}
	checkMeta(t, "subnet", sn.Meta)
	s.subnet = sn
	waitFor(ctx, t, s, "subnet available", func() (bool, error) {
		got, err := s.r.GetSubnet(ctx, sn.ID)
		if err != nil {
			return false, err
		}
		s.subnet = got
		return got.Status == cloud.StatusRunning, nil
	})
	if s.subnet.VPCID != s.vpc.ID || s.subnet.ZoneID != s.opts.ZoneID {
		t.Errorf("subnet in vpc %q zone %q, want %q %q", s.subnet.VPCID, s.subnet.ZoneID, s.vpc.ID, s.opts.ZoneID)
	}
	list, err := cloud.Collect(ctx, 0, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Subnet], error) {
		return s.r.ListSubnets(ctx, cloud.SubnetQuery{VPCID: s.vpc.ID}, pr)
	})
	if err != nil || !slices.ContainsFunc(list, func(x cloud.Subnet) bool { return x.ID == sn.ID }) {
		t.Errorf("ListSubnets(vpc): %d subnets, %v; want %s among them", len(list), err, sn.ID)
	}
}

func testCreateSecurityGroup(t *testing.T, s *state) {
	need(t, s.vpc.ID != "", "a VPC")
	ctx := ctxFor(t, s)
	sg, err := s.r.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{VPCID: s.vpc.ID, Name: s.run + "-sg", Description: "cloudtest",
		ClientToken: s.run + "-sg"})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	checkMeta(t, "security group", sg.Meta)
	s.sg = sg
	got, err := s.r.GetSecurityGroup(ctx, sg.ID)
	if err != nil || got.ID != sg.ID || got.VPCID != s.vpc.ID {
		t.Fatalf("GetSecurityGroup = %+v, %v", got, err)
	}
	list, err := cloud.Collect(ctx, 0, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.SecurityGroup], error) {
		return s.r.ListSecurityGroups(ctx, cloud.SecurityGroupQuery{VPCID: s.vpc.ID}, pr)
	})
	if err != nil || !slices.ContainsFunc(list, func(x cloud.SecurityGroup) bool { return x.ID == sg.ID }) {
		t.Errorf("ListSecurityGroups(vpc): %d groups, %v; want %s among them", len(list), err, sg.ID)
	}
}

func countRule(t *testing.T, ctx context.Context, s *state, rule cloud.SecurityGroupRule) (same, total int) {
	t.Helper()
	sg, err := s.r.GetSecurityGroup(ctx, s.sg.ID)
	if err != nil {
		t.Fatalf("GetSecurityGroup: %v", err)
	}
	for _, r := range sg.Rules {
		if r.Key() == rule.Key() {
			same++
		}
	}
	return same, len(sg.Rules)
}

func testSecurityGroupRules(t *testing.T, s *state) {
	need(t, s.sg.ID != "", "a security group")
	ctx := ctxFor(t, s)
	ssh := cloud.SecurityGroupRule{Direction: cloud.Ingress, Protocol: "tcp", PortRange: "22/22", CIDR: "10.0.0.0/8", Action: "accept", Priority: 1}
	egress := cloud.SecurityGroupRule{Direction: cloud.Egress, Protocol: "tcp", PortRange: "443/443", CIDR: "0.0.0.0/0", Action: "accept", Priority: 1}
	_, before := countRule(t, ctx, s, ssh)
	if err := s.r.AuthorizeRules(ctx, s.sg.ID, []cloud.SecurityGroupRule{ssh, egress}); err != nil {
		t.Fatalf("AuthorizeRules: %v", err)
	}
	same, after := countRule(t, ctx, s, ssh)
	if same != 1 || after != before+2 {
		t.Fatalf("after authorise: %d copies of the rule, %d rules (was %d); want 1 and %d", same, after, before, before+2)
	}
	// The identical rule again is a no-op, description or not.
	dup := ssh
	dup.Description = "same rule, other words"
	if err := s.r.AuthorizeRules(ctx, s.sg.ID, []cloud.SecurityGroupRule{dup}); err != nil {
		t.Fatalf("AuthorizeRules(identical): %v", err)
	}
	if same, n := countRule(t, ctx, s, ssh); same != 1 || n != after {
		t.Fatalf("identical rule: %d copies, %d rules; want 1 and %d", same, n, after)
	}
	if err := s.r.RevokeRules(ctx, s.sg.ID, []cloud.SecurityGroupRule{ssh}); err != nil {
		t.Fatalf("RevokeRules: %v", err)
	}
	if same, n := countRule(t, ctx, s, ssh); same != 0 || n != after-1 {
		t.Fatalf("after revoke: %d copies, %d rules; want 0 and %d", same, n, after-1)
	}
	if err := s.r.RevokeRules(ctx, s.sg.ID, []cloud.SecurityGroupRule{ssh}); err != nil {
		t.Fatalf("RevokeRules(absent): %v; want a no-op", err)
	}
}

func (s *state) createRequest(tag string, amount int, token string) cloud.CreateInstancesRequest {
	return cloud.CreateInstancesRequest{
		ZoneID: s.opts.ZoneID, InstanceType: s.opts.InstanceType, ImageID: s.opts.ImageID, SubnetID: s.subnet.ID,
		SecurityGroupIDs: []string{s.sg.ID}, Name: s.run + "-" + tag, Amount: amount, MinAmount: amount,
		InternetMaxBandwidthOut: s.opts.PublicBandwidth, ClientToken: token,
		Tags: map[string]string{"cloudtest-run": s.run, "cloudtest-case": tag},
	}
}

func (s *state) listByTag(ctx context.Context, tags map[string]string, size int) ([]cloud.Instance, int, error) {
	var out []cloud.Instance
	pages := 0
	for in, err := range cloud.All(ctx, size, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		pages++
		return s.r.ListInstances(ctx, cloud.InstanceQuery{Tags: tags}, pr)
	}) {
		if err != nil {
			return out, pages, err
		}
		out = append(out, in)
	}
	return out, pages, nil
}

func testDryRun(t *testing.T, s *state) {
	need(t, s.subnet.ID != "" && s.sg.ID != "", "a subnet and a security group")
	ctx := ctxFor(t, s)
	req := s.createRequest("dryrun", 1, "")
	req.DryRun = true
	res, err := s.r.CreateInstances(ctx, req)
	if err != nil {
		t.Fatalf("CreateInstances(dry run): %v", err)
	}
	if !res.DryRun || len(res.InstanceIDs) != 0 {
		t.Fatalf("dry run result %+v: want DryRun and no ids", res)
	}
	got, _, err := s.listByTag(ctx, map[string]string{"cloudtest-run": s.run, "cloudtest-case": "dryrun"}, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("after dry run: %d instances, %v; want none", len(got), err)
	}
	bad := req
	bad.InstanceType = "ecs.cloudtest-no-such-type"
	if _, err := s.r.CreateInstances(ctx, bad); err == nil {
		t.Fatalf("dry run with a bad instance type passed; want an error")
	}
}

func testCreateInstancesIdempotent(t *testing.T, s *state) {
	need(t, s.subnet.ID != "" && s.sg.ID != "", "a subnet and a security group")
	ctx := ctxFor(t, s)
	token := s.run + "-batch"
	req := s.createRequest("batch", s.opts.BatchSize, token)
	first, err := s.r.CreateInstances(ctx, req)
	if err != nil {
		t.Fatalf("CreateInstances: %v", err)
	}
	if len(first.InstanceIDs) != s.opts.BatchSize {
		t.Fatalf("CreateInstances made %d, want %d", len(first.InstanceIDs), s.opts.BatchSize)
	}
	s.batch = first.InstanceIDs
	again, err := s.r.CreateInstances(ctx, req)
	if err != nil {
		t.Fatalf("CreateInstances(same token): %v", err)
	}
	a, b := slices.Sorted(slices.Values(first.InstanceIDs)), slices.Sorted(slices.Values(again.InstanceIDs))
	if !slices.Equal(a, b) {
		t.Fatalf("same token gave %v, first call %v; want the same instances", b, a)
	}
	got, _, err := s.listByTag(ctx, map[string]string{"cloudtest-run": s.run, "cloudtest-case": "batch"}, 0)
	if err != nil || len(got) != s.opts.BatchSize {
		t.Fatalf("instances with the batch tag: %d, %v; want %d (no duplicates)", len(got), err, s.opts.BatchSize)
	}
	for _, in := range got {
		checkMeta(t, "instance", in.Meta)
		if in.Tags["cloudtest-case"] != "batch" {
			t.Errorf("instance %s tags %v: want the request's tags", in.ID, in.Tags)
		}
	}
}

func (s *state) waitStatus(ctx context.Context, t *testing.T, ids []string, want cloud.Status, check func(cloud.Instance) bool) {
	t.Helper()
	waitFor(ctx, t, s, fmt.Sprintf("%d instances %s", len(ids), want), func() (bool, error) {
		page, err := s.r.ListInstances(ctx, cloud.InstanceQuery{IDs: ids}, cloud.PageRequest{})
		if err != nil {
			return false, err
		}
		ok := 0
		for _, in := range page.Items {
			if in.Status == want && (check == nil || check(in)) {
				ok++
			}
		}
		return ok == len(ids), nil
	})
}

func testWaitRunning(t *testing.T, s *state) {
	need(t, len(s.batch) > 0, "instances")
	ctx := ctxFor(t, s)
	s.waitStatus(ctx, t, s.batch, cloud.StatusRunning, func(in cloud.Instance) bool {
		return len(in.PrivateIPs) > 0 && (s.opts.PublicBandwidth == 0 || len(in.PublicIPs) > 0)
	})
	in, err := s.r.GetInstance(ctx, s.batch[0])
	if err != nil {
		t.Fatalf("GetInstance: %v", err)
	}
	if in.InstanceType != s.opts.InstanceType || in.SubnetID != s.subnet.ID || in.VPCID != s.vpc.ID ||
		!slices.Contains(in.SecurityGroupIDs, s.sg.ID) {
		t.Errorf("instance %+v: want type %s, subnet %s, vpc %s, sg %s", in, s.opts.InstanceType, s.subnet.ID, s.vpc.ID, s.sg.ID)
	}
	if in.RawStatus == "" {
		t.Errorf("instance %s: empty RawStatus", in.ID)
	}
}

func testStopStart(t *testing.T, s *state) {
	need(t, len(s.batch) > 0, "instances")
	ctx := ctxFor(t, s)
	if err := s.r.StopInstances(ctx, s.batch, false); err != nil {
		t.Fatalf("StopInstances: %v", err)
	}
	s.waitStatus(ctx, t, s.batch, cloud.StatusStopped, nil)
	if err := s.r.StartInstances(ctx, s.batch); err != nil {
		t.Fatalf("StartInstances: %v", err)
	}
	s.waitStatus(ctx, t, s.batch, cloud.StatusRunning, nil)
}

func testPaging(t *testing.T, s *state) {
	need(t, s.subnet.ID != "" && s.sg.ID != "", "a subnet and a security group")
	ctx := ctxFor(t, s)
	n := s.opts.PageSize*2 + 1
	res, err := s.r.CreateInstances(ctx, s.createRequest("paging", n, s.run+"-paging"))
	if err != nil {
		t.Fatalf("CreateInstances(%d): %v", n, err)
	}
	t.Cleanup(func() {
		_ = s.r.DeleteInstances(context.Background(), res.InstanceIDs, true)
	})
	got, pages, err := s.listByTag(ctx, map[string]string{"cloudtest-run": s.run, "cloudtest-case": "paging"}, s.opts.PageSize)
	if err != nil {
		t.Fatalf("listing: %v", err)
	}
	seen := map[string]bool{}
	for _, in := range got {
		if seen[in.ID] {
			t.Errorf("instance %s listed twice", in.ID)
		}
		seen[in.ID] = true
	}
	if len(seen) != n || pages < 3 {
		t.Fatalf("listed %d distinct instances in %d pages; want %d in at least 3", len(seen), pages, n)
	}
	// By ids, also paged.
	byID, err := cloud.Collect(ctx, s.opts.PageSize, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		return s.r.ListInstances(ctx, cloud.InstanceQuery{IDs: res.InstanceIDs}, pr)
	})
	if err != nil || len(byID) != n {
		t.Fatalf("listing by ids: %d, %v; want %d", len(byID), err, n)
	}
	if err := s.r.DeleteInstances(ctx, res.InstanceIDs, true); err != nil {
		t.Fatalf("DeleteInstances: %v", err)
	}
}

func testDeleteInstances(t *testing.T, s *state) {
	need(t, len(s.batch) > 0, "instances")
	ctx := ctxFor(t, s)
	if err := s.r.DeleteInstances(ctx, s.batch, true); err != nil {
		t.Fatalf("DeleteInstances: %v", err)
	}
	for _, id := range s.batch {
		waitFor(ctx, t, s, "instance "+id+" gone", func() (bool, error) {
			in, err := s.r.GetInstance(ctx, id)
			if errors.Is(err, cloud.ErrNotFound) {
				return true, nil
			}
			return err == nil && in.Status == cloud.StatusDeleted, err
		})
	}
	s.batch = nil
}

func checkKind(t *testing.T, what string, err, kind error, code errs.Code) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v; want %v", what, err, kind)
		return
	}
	if got := errs.CodeOf(err); got != code {
		t.Errorf("%s: errs.CodeOf = %q, want %q", what, got, code)
	}
	var ce *cloud.Error
	if errors.As(err, &ce) && ce.Code != "" && ce.RequestID == "" && ce.HTTPStatus != 0 {
		t.Errorf("%s: cloud error code %s without a request id", what, ce.Code)
	}
}

func testErrorNotFound(t *testing.T, s *state) {
	ctx := ctxFor(t, s)
	_, err := s.r.GetInstance(ctx, "i-cloudtestnosuch0000")
	checkKind(t, "GetInstance(unknown)", err, cloud.ErrNotFound, errs.NotFound)
	_, err = s.r.GetVPC(ctx, "vpc-cloudtestnosuch0000")
	checkKind(t, "GetVPC(unknown)", err, cloud.ErrNotFound, errs.NotFound)
	_, err = s.r.GetSecurityGroup(ctx, "sg-cloudtestnosuch0000")
	checkKind(t, "GetSecurityGroup(unknown)", err, cloud.ErrNotFound, errs.NotFound)
	err = s.r.DeleteVPC(ctx, "vpc-cloudtestnosuch0000")
	checkKind(t, "DeleteVPC(unknown)", err, cloud.ErrNotFound, errs.NotFound)
}

func testErrorInvalidParameter(t *testing.T, s *state) {
	need(t, s.vpc.ID != "", "a VPC")
	ctx := ctxFor(t, s)
	_, err := s.r.CreateSubnet(ctx, cloud.SubnetSpec{VPCID: s.vpc.ID, ZoneID: s.opts.ZoneID, CIDR: "not-a-cidr", Name: s.run + "-bad"})
	checkKind(t, "CreateSubnet(bad CIDR)", err, cloud.ErrInvalidParameter, errs.Invalid)
	_, err = s.r.CreateInstances(ctx, cloud.CreateInstancesRequest{Amount: 0})
	checkKind(t, "CreateInstances(Amount 0)", err, cloud.ErrInvalidParameter, errs.Invalid)
}

func testErrorInvalidCredentials(t *testing.T, s *state) {
	if s.opts.InvalidCredentials == nil {
		t.Skip("no InvalidCredentials opener")
	}
	ctx := ctxFor(t, s)
	bad := s.opts.InvalidCredentials(t)
	err := bad.ValidateCredentials(ctx)
	checkKind(t, "ValidateCredentials(bad secret)", err, cloud.ErrInvalidCredential, errs.Unauthorized)
	r, err := bad.Region(s.opts.Region)
	if err != nil {
		t.Fatalf("Region: %v", err)
	}
	_, err = r.ListInstances(ctx, cloud.InstanceQuery{}, cloud.PageRequest{})
	checkKind(t, "ListInstances(bad secret)", err, cloud.ErrInvalidCredential, errs.Unauthorized)
}

func testDeleteNetwork(t *testing.T, s *state) {
	need(t, s.vpc.ID != "", "a VPC")
	ctx := ctxFor(t, s)
	if err := s.deleteNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.r.GetVPC(ctx, s.vpc.ID); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("GetVPC after delete: %v; want not found", err)
	}
	s.vpc, s.subnet, s.sg = cloud.VPC{}, cloud.Subnet{}, cloud.SecurityGroup{}
}

// deleteNetwork removes the security group, subnet and VPC, retrying while
// the cloud still sees dependents.
func (s *state) deleteNetwork(ctx context.Context) error {
	steps := []struct {
		what string
		id   string
		del  func(context.Context, string) error
	}{
		{"security group", s.sg.ID, s.r.DeleteSecurityGroup},
		{"subnet", s.subnet.ID, s.r.DeleteSubnet},
		{"vpc", s.vpc.ID, s.r.DeleteVPC},
	}
	for _, st := range steps {
		if st.id == "" {
			continue
		}
		deadline := time.Now().Add(s.opts.WaitTimeout)
		for {
			err := st.del(ctx, st.id)
			if err == nil || errors.Is(err, cloud.ErrNotFound) {
				break
			}
			if !errors.Is(err, cloud.ErrConflict) || time.Now().After(deadline) {
				return fmt.Errorf("delete %s %s: %w", st.what, st.id, err)
			}
			time.Sleep(s.opts.PollInterval)
		}
	}
	return nil
}

// cleanup removes whatever a failed run left behind.
func (s *state) cleanup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.WaitTimeout)
	defer cancel()
	left, _, err := s.listByTag(ctx, map[string]string{"cloudtest-run": s.run}, 0)
	if err == nil && len(left) > 0 {
		ids := make([]string, len(left))
		for i, in := range left {
			ids[i] = in.ID
		}
		if err := s.r.DeleteInstances(ctx, ids, true); err != nil {
			t.Logf("cleanup: delete instances: %v", err)
		}
	}
	if err := s.deleteNetwork(ctx); err != nil {
		t.Logf("cleanup: %v", err)
	}
}
