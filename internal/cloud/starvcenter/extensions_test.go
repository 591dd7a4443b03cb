package starvcenter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cloud/starvcenter"
)

// fixture is a provider with a network, a security group and one running VM.
type fixture struct {
	w   *world
	p   cloud.Provider
	r   cloud.RegionClient
	x   starvcenter.Extensions
	vpc cloud.VPC
	sg  cloud.SecurityGroup
	vm  string
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{w: newWorld(t)}
	f.p = f.w.open(t)
	f.r = f.w.region(t, f.p)
	sp, ok := f.p.(*starvcenter.Provider)
	if !ok {
		t.Fatalf("cloud.Open gave a %T, not a StarVCenter provider", f.p)
	}
	f.x = sp.Extensions()
	ctx := ctxT(t)
	var err error
	if f.vpc, err = f.r.CreateVPC(ctx, cloud.VPCSpec{Name: "net"}); err != nil {
		t.Fatal(err)
	}
	if f.sg, err = f.r.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{VPCID: f.vpc.ID, Name: "web"}); err != nil {
		t.Fatal(err)
	}
	res, err := f.r.CreateInstances(ctx, cloud.CreateInstancesRequest{InstanceType: "starv.1c1g", ImageID: "centos-7-9",
		SubnetID: f.vpc.ID, Name: "app", Amount: 1, Password: "Init-Passw0rd", Tags: map[string]string{"team": "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	f.vm = res.InstanceIDs[0]
	return f
}

func (f *fixture) instance(t *testing.T) cloud.Instance {
	t.Helper()
	in, err := f.r.GetInstance(ctxT(t), f.vm)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestExtensionsThroughWithRetry(t *testing.T) {
	w := newWorld(t)
	p := cloud.WithRetry(w.open(t), cloud.RetryPolicy{})
	ctx := ctxT(t)
	// The platform-wide capabilities are the provider's too.
	ph, ok := cloud.As[cloud.Hosts](p)
	if !ok {
		t.Fatal("cloud.As finds no Hosts behind WithRetry's provider")
	}
	if hosts, err := ph.Hosts(ctx); err != nil || len(hosts) == 0 {
		t.Fatalf("Hosts through WithRetry: %d, %v", len(hosts), err)
	}
	if _, ok := cloud.As[cloud.Quotas](p); !ok {
		t.Error("cloud.As finds no Quotas behind WithRetry's provider")
	}
	rc := w.region(t, p)
	for name, found := range map[string]bool{
		"Hosts":          has[cloud.Hosts](rc),
		"Quotas":         has[cloud.Quotas](rc),
		"Backups":        has[cloud.Backups](rc),
		"VMSnapshots":    has[cloud.VMSnapshots](rc),
		"Console":        has[cloud.Console](rc),
		"Resizer":        has[cloud.Resizer](rc),
		"Shapes":         has[cloud.Shapes](rc),
		"Passwords":      has[cloud.Passwords](rc),
		"InstanceEditor": has[cloud.InstanceEditor](rc),
		"NICs":           has[cloud.NICs](rc),
		"DiskOps":        has[cloud.DiskOps](rc),
		"DeleteCascade":  has[cloud.DeleteCascade](rc),
	} {
		if !found {
			t.Errorf("cloud.As finds no %s behind WithRetry's region client", name)
		}
	}
	// The driver's own API is not reachable through the wrapper: what it
	// offers beyond the capabilities would skip the retry and pacing.
	if _, ok := cloud.As[starvcenter.Extensions](rc); ok {
		t.Error("the whole Extensions are reachable through WithRetry")
	}
	if _, ok := cloud.As[starvcenter.Extensions](p); ok {
		t.Error("the whole Extensions are reachable through WithRetry's provider")
	}
}

func has[T any](v any) bool {
	_, ok := cloud.As[T](v)
	return ok
}

func TestResizeAndChangeType(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	var mu sync.Mutex
	var lines []string
	pctx := cloud.WithProgress(ctx, func(p cloud.Progress) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, p.Message)
	})
	if err := f.x.ResizeCPU(pctx, f.vm, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.x.ResizeMemory(pctx, f.vm, 3072); err != nil {
		t.Fatal(err)
	}
	in := f.instance(t)
	if in.CPU != 2 || in.MemoryMiB != 3072 || in.InstanceType != "starv.2c3g" {
		t.Fatalf("after resize: %d vCPU %d MiB type %s", in.CPU, in.MemoryMiB, in.InstanceType)
	}
	mu.Lock()
	got := strings.Join(lines, "\n")
	mu.Unlock()
	if !strings.Contains(got, "变更云主机CPU") || !strings.Contains(got, "成功") {
		t.Errorf("progress lines do not show the CPU task ending:\n%s", got)
	}
	if err := f.r.ChangeInstanceType(ctx, f.vm, "starv.4c8g"); err != nil {
		t.Fatal(err)
	}
	if in := f.instance(t); in.CPU != 4 || in.MemoryMiB != 8192 {
		t.Fatalf("after ChangeInstanceType: %d vCPU %d MiB", in.CPU, in.MemoryMiB)
	}
	if err := f.r.ChangeInstanceType(ctx, f.vm, "m5.large"); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("ChangeInstanceType(bad type) = %v; want invalid parameter", err)
	}
	if err := f.x.ResizeCPU(ctx, f.vm, 0); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("ResizeCPU(0) = %v; want invalid parameter", err)
	}
}

func TestPasswordsAndConsole(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	if err := f.x.SetAdminPassword(ctx, f.vm, "", "N3w-Passw0rd"); err != nil {
		t.Fatalf("SetAdminPassword: %v", err)
	}
	if err := f.x.SetAdminPassword(ctx, f.vm, "root", ""); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("SetAdminPassword(empty) = %v; want invalid parameter", err)
	}
	if err := f.x.ResumeAgent(ctx, f.vm); err != nil {
		t.Fatalf("ResumeAgent: %v", err)
	}
	if err := f.x.SetVNCPassword(ctx, f.vm, "vncpass1"); err != nil {
		t.Fatalf("SetVNCPassword: %v", err)
	}
	if err := f.x.ResetVNCPassword(ctx, f.vm); err != nil {
		t.Fatalf("ResetVNCPassword: %v", err)
	}
	info, err := f.x.VNCConnection(ctx, f.vm)
	if err != nil {
		t.Fatal(err)
	}
	if info.Port < 5900 || info.HostIP == "" || !strings.Contains(info.ConsoleURL, f.vm) {
		t.Errorf("VNCConnection = %+v", info)
	}
	if _, err := f.x.VNCConnection(ctx, "no-such-vm"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("VNCConnection(unknown) = %v; want not found", err)
	}
	if err := f.x.SetFirewall(ctx, f.vm, true); err != nil {
		t.Fatalf("SetFirewall: %v", err)
	}
	if err := f.x.ModifyInstance(ctx, f.vm, "app-renamed", "the app server"); err != nil {
		t.Fatal(err)
	}
	in := f.instance(t)
	if in.Name != "app-renamed" || in.Tags["team"] != "ops" {
		t.Errorf("after ModifyInstance: name %q tags %v (the tags must survive)", in.Name, in.Tags)
	}
	// A stopped VM's agent is down: the password reset is refused.
	if err := f.r.StopInstances(ctx, []string{f.vm}, false); err != nil {
		t.Fatal(err)
	}
	if err := f.x.SetAdminPassword(ctx, f.vm, "", "x-Passw0rd"); !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("SetAdminPassword(stopped) = %v; want conflict", err)
	}
}

func TestDisks(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	d, err := f.x.AddDisk(ctx, f.vm, 20, "data")
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == "" || d.SizeGiB != 20 || d.Type != "data" || d.InstanceID != f.vm || d.Device != "vdb" {
		t.Fatalf("AddDisk = %+v", d)
	}
	list := func() []cloud.Disk {
		pg, err := f.r.ListDisks(ctx, cloud.DiskQuery{InstanceID: f.vm}, cloud.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return pg.Items
	}
	disks := list()
	if len(disks) != 2 || disks[0].Type != "system" || disks[0].SizeGiB != 40 {
		t.Fatalf("disks = %+v; want the 40 GiB system disk and the new one", disks)
	}
	if err := f.x.ExtendDisk(ctx, d.ID, 30); err != nil {
		t.Fatal(err)
	}
	if got := list()[1]; got.SizeGiB != 30 {
		t.Fatalf("after extend: %d GiB", got.SizeGiB)
	}
	if err := f.x.ExtendDisk(ctx, d.ID, 10); !errors.Is(err, cloud.ErrInvalidParameter) && !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("shrinking a disk: %v; want a refusal", err)
	}
	if err := f.x.DeleteDisk(ctx, disks[0].ID); err == nil {
		t.Errorf("deleting the system disk succeeded")
	}
	if err := f.x.DeleteDisk(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(list()); n != 1 {
		t.Fatalf("after delete: %d disks", n)
	}
	all, err := cloud.Collect(ctx, 1, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
		return f.r.ListDisks(ctx, cloud.DiskQuery{}, pr)
	})
	if err != nil || len(all) != 1 {
		t.Fatalf("all disks: %d, %v", len(all), err)
	}
	if err := f.x.DeleteDisk(ctx, "no-such-disk"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("DeleteDisk(unknown) = %v; want not found", err)
	}
}

func TestSnapshots(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	pg, err := f.r.ListDisks(ctx, cloud.DiskQuery{InstanceID: f.vm}, cloud.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sys := pg.Items[0].ID
	spec := cloud.SnapshotSpec{DiskID: sys, Name: "before-upgrade", Description: "pre", ClientToken: "snap-1"}
	s, err := f.r.CreateSnapshot(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == "" || s.DiskID != sys || s.Status != cloud.StatusRunning || s.Tags["starvcenter:vm-id"] != f.vm {
		t.Fatalf("CreateSnapshot = %+v", s)
	}
	again, err := f.r.CreateSnapshot(ctx, spec)
	if err != nil || again.ID != s.ID {
		t.Fatalf("same token: %+v, %v; want snapshot %s again", again, err, s.ID)
	}
	list, err := f.r.ListSnapshots(ctx, cloud.SnapshotQuery{DiskID: sys}, cloud.PageRequest{})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != s.ID {
		t.Fatalf("ListSnapshots = %+v, %v", list.Items, err)
	}
	// A VM id stands for its disks too.
	byVM, err := f.x.CreateVMSnapshot(ctx, f.vm, "second", "")
	if err != nil || !byVM.Enabled {
		t.Fatalf("CreateVMSnapshot = %+v, %v", byVM, err)
	}
	vs, err := f.x.VMSnapshots(ctx, f.vm)
	if err != nil || len(vs) != 2 {
		t.Fatalf("VMSnapshots = %+v, %v", vs, err)
	}
	if err := f.x.RestoreSnapshot(ctx, s.ID); err != nil {
		t.Fatalf("RestoreSnapshot: %v", err)
	}
	if in := f.instance(t); in.Status != cloud.StatusRunning {
		t.Errorf("after restore: %s", in.Status)
	}
	if err := f.r.DeleteSnapshot(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.r.DeleteSnapshot(ctx, s.ID); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("second delete: %v; want not found", err)
	}
	all, err := f.r.ListSnapshots(ctx, cloud.SnapshotQuery{}, cloud.PageRequest{})
	if err != nil || len(all.Items) != 1 || all.Items[0].ID != byVM.ID {
		t.Fatalf("all snapshots = %+v, %v", all.Items, err)
	}
	if err := f.x.RestoreSnapshot(ctx, "no-such-snapshot"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("RestoreSnapshot(unknown) = %v; want not found", err)
	}
}

func TestBackups(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	b, err := f.x.CreateBackup(ctx, f.vm, "nightly", "the nightly backup")
	if err != nil {
		t.Fatal(err)
	}
	if b.ID == "" || !b.Enabled || b.VMID != f.vm {
		t.Fatalf("CreateBackup = %+v", b)
	}
	list, err := f.x.Backups(ctx, f.vm)
	if err != nil || len(list) != 1 || list[0].ID != b.ID || !list[0].Enabled || list[0].Description != "the nightly backup" {
		t.Fatalf("Backups = %+v, %v", list, err)
	}
	if err := f.x.RestoreBackup(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.x.DeleteBackup(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := f.x.Backups(ctx, f.vm); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v, %v", list, err)
	}
	if _, err := f.x.CreateBackup(ctx, f.vm, "", ""); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("CreateBackup(no name) = %v; want invalid parameter", err)
	}
	if err := f.x.RestoreBackup(ctx, b.ID); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("RestoreBackup(deleted) = %v; want not found", err)
	}
}

func TestSecurityGroupBinding(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	nics, err := f.x.NICs(ctx, f.vm)
	if err != nil || len(nics) != 1 || nics[0].VPCID != f.vpc.ID {
		t.Fatalf("NICs = %+v, %v", nics, err)
	}
	if err := f.x.BindSecurityGroup(ctx, f.sg.ID, []string{nics[0].ID}); err != nil {
		t.Fatal(err)
	}
	bound, err := f.x.BoundNICs(ctx, f.sg.ID)
	if err != nil || len(bound) != 1 || bound[0].ID != nics[0].ID {
		t.Fatalf("BoundNICs = %+v, %v", bound, err)
	}
	if in := f.instance(t); !slices.Contains(in.SecurityGroupIDs, f.sg.ID) {
		t.Errorf("instance groups %v; want %s", in.SecurityGroupIDs, f.sg.ID)
	}
	if err := f.r.DeleteSecurityGroup(ctx, f.sg.ID); !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("deleting a bound group: %v; want conflict", err)
	}
	if err := f.x.UnbindSecurityGroup(ctx, f.sg.ID, []string{nics[0].ID}); err != nil {
		t.Fatal(err)
	}
	if in := f.instance(t); len(in.SecurityGroupIDs) != 0 {
		t.Errorf("after unbind: groups %v", in.SecurityGroupIDs)
	}
	if err := f.x.BindSecurityGroup(ctx, f.sg.ID, nil); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("Bind(no NICs) = %v; want invalid parameter", err)
	}
	id, err := f.x.AddNIC(ctx, f.vm, f.vpc.ID)
	if err != nil || id == "" {
		t.Fatalf("AddNIC = %q, %v", id, err)
	}
	if in := f.instance(t); len(in.PrivateIPs) != 2 {
		t.Errorf("after AddNIC: private IPs %v", in.PrivateIPs)
	}
}

func TestInfrastructure(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	hosts, err := f.x.Hosts(ctx)
	if err != nil || len(hosts) != 3 {
		t.Fatalf("Hosts = %d, %v", len(hosts), err)
	}
	for _, h := range hosts {
		if h.Status != cloud.StatusRunning || !h.Connected || h.CPUCores == 0 || h.MemoryGiB == 0 || h.IP == "" || h.OSVersion == "" {
			t.Errorf("host %+v", h)
		}
	}
	storages, err := f.x.Storages(ctx)
	if err != nil || len(storages) != 3 {
		t.Fatalf("Storages = %d, %v", len(storages), err)
	}
	ceph := slices.IndexFunc(storages, func(s starvcenter.Storage) bool { return s.Type == "CEPH" })
	if ceph < 0 || len(storages[ceph].CephMonitors) != 3 || storages[ceph].SizeGB == 0 || storages[ceph].UsedGB == 0 {
		t.Errorf("storages %+v", storages)
	}
	q, err := f.x.Quota(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.CPU != 64 || q.CPUAvailable != 63 || q.MemoryMB != 131072 || q.MemoryAvailableMB != 131072-1024 ||
		q.Networks != 10 || q.NetworksAvailable != 9 || q.TenantID != f.w.tenant {
		t.Errorf("Quota = %+v", q)
	}
	pool, err := f.x.PoolCapacity(ctx)
	if err != nil || pool.CPU != 3*64 || pool.OuterIPs != 64 {
		t.Errorf("PoolCapacity = %+v, %v", pool, err)
	}
	alarms, err := f.x.Alarms(ctx, starvcenter.AlarmQuery{})
	if err != nil || len(alarms) < 3 {
		t.Fatalf("Alarms = %d, %v", len(alarms), err)
	}
	high, err := f.x.Alarms(ctx, starvcenter.AlarmQuery{Level: "high"})
	if err != nil || len(high) != 1 || high[0].Level != "high" || high[0].CreatedAt.IsZero() {
		t.Fatalf("high alarms = %+v, %v", high, err)
	}
	recent, err := f.x.Alarms(ctx, starvcenter.AlarmQuery{Start: time.Now().Add(-3 * time.Hour)})
	if err != nil || len(recent) != 1 {
		t.Fatalf("alarms of the last 3 hours = %+v, %v", recent, err)
	}
	models, err := f.x.Models(ctx)
	if err != nil || !slices.ContainsFunc(models, func(m starvcenter.Model) bool { return m.Code == "win-2022" }) {
		t.Fatalf("Models = %+v, %v", models, err)
	}
	imgs, err := f.r.Images(ctx, cloud.ImageQuery{IDs: []string{"win-2022"}}, cloud.PageRequest{})
	if err != nil || len(imgs.Items) != 1 || imgs.Items[0].OSType != "windows" {
		t.Fatalf("Images(win-2022) = %+v, %v", imgs.Items, err)
	}
	cur, err := f.x.CurrentCompute(ctx, "host", []string{hosts[0].ID})
	if err != nil || len(cur) != 1 || cur[0].CPUPercent == nil || cur[0].CPUs != 64 {
		t.Fatalf("CurrentCompute(host) = %+v, %v", cur, err)
	}
	cur, err = f.x.CurrentCompute(ctx, "vm", []string{f.vm})
	if err != nil || len(cur) != 1 || cur[0].CPUPercent == nil || cur[0].MemoryMB != 1024 {
		t.Fatalf("CurrentCompute(vm) = %+v, %v", cur, err)
	}
	// Quotas are set with the platform token.
	admin, err := starvcenter.Open(ctx, f.w.config(adminToken, ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Extensions().SetQuota(ctx, f.w.tenant, starvcenter.QuotaLimits{CPU: 32, MemoryMB: 65536, StorageGB: 1024, OuterIPs: 4, Subnets: 5}); err != nil {
		t.Fatal(err)
	}

	if q, err := f.x.Quota(ctx); err != nil || q.CPU != 32 || q.PublicIPs != 4 {
		t.Errorf("after SetQuota: %+v, %v", q, err)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	now := time.Now()
	series, err := f.r.Metrics(ctx, cloud.MetricQuery{InstanceIDs: []string{f.vm}, Start: now.Add(-30 * time.Minute), End: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != len(starvcenter.SupportedMetrics) {
		t.Fatalf("%d series; want %d", len(series), len(starvcenter.SupportedMetrics))
	}
	for _, s := range series {
		if s.InstanceID != f.vm || len(s.Points) == 0 || s.Unit == "" {
			t.Fatalf("series %+v", s)
		}
		for _, p := range s.Points {
			if p.Average < 0 || (s.Unit == "percent" && p.Average > 100) || p.Time.Before(now.Add(-31*time.Minute)) {
				t.Errorf("%s point %+v", s.Metric, p)
			}
		}
	}
	// Net speeds are KB/s: bit/s are multiples of 8192/100 (two decimals).
	in := series[slices.IndexFunc(series, func(s cloud.MetricSeries) bool { return s.Metric == cloud.MetricNetIn })]
	if v := in.Points[0].Average; v > 12800*8192 {
		t.Errorf("net in %v bit/s is beyond the simulator's 12800 KB/s", v)
	}
	// IOPS have no history; an hour period aggregates the minute samples.
	only, err := f.r.Metrics(ctx, cloud.MetricQuery{InstanceIDs: []string{f.vm},
		Metrics: []cloud.Metric{cloud.MetricDiskReadIOPS, cloud.MetricCPUUsage}, Start: now.Add(-50 * time.Minute), Period: time.Hour})
	if err != nil || len(only) != 1 || only[0].Metric != cloud.MetricCPUUsage || len(only[0].Points) > 2 {
		t.Fatalf("Metrics(iops, cpu per hour) = %+v, %v", only, err)
	}
	// A VM that is gone gives no series and costs the others nothing.
	mixed, err := f.r.Metrics(ctx, cloud.MetricQuery{InstanceIDs: []string{"no-such-vm", f.vm}, Metrics: []cloud.Metric{cloud.MetricCPUUsage}})
	if err != nil || len(mixed) != 1 || mixed[0].InstanceID != f.vm {
		t.Errorf("Metrics(gone vm, vm) = %+v, %v; want the one series", mixed, err)
	}
	if _, err := f.r.Metrics(ctx, cloud.MetricQuery{InstanceIDs: []string{f.vm}, Start: now, End: now.Add(-time.Hour)}); !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("Metrics(end before start) = %v; want invalid parameter", err)
	}
}

func TestRoutersNATAndLoadBalancers(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	routers, err := f.x.CreateRouter(ctx, starvcenter.RouterSpec{Name: "edge"})
	if err != nil || len(routers) != 1 || !routers[0].Online || routers[0].ManageIP == "" {
		t.Fatalf("CreateRouter = %+v, %v", routers, err)
	}
	rt := routers[0]
	if err := f.x.AttachRouterSubnet(ctx, f.vpc.ID, ""); err != nil {
		t.Fatal(err)
	}
	listed, err := f.x.Routers(ctx)
	if err != nil || len(listed) != 1 || listed[0].ID != rt.ID {
		t.Fatalf("Routers = %+v, %v", listed, err)
	}
	ip, err := f.x.MapPublicIP(ctx, f.vm, "", "")
	if err != nil || ip == "" {
		t.Fatalf("MapPublicIP = %q, %v", ip, err)
	}
	if in := f.instance(t); !slices.Contains(in.PublicIPs, ip) {
		t.Errorf("instance public IPs %v; want %s", in.PublicIPs, ip)
	}
	eips, err := f.r.ListEIPs(ctx, cloud.PageRequest{})
	if err != nil || len(eips.Items) != 1 || eips.Items[0].Address != ip || eips.Items[0].InstanceID != f.vm {
		t.Fatalf("ListEIPs = %+v, %v", eips.Items, err)
	}
	if _, err := f.r.AllocateEIP(ctx, cloud.EIPSpec{}); !errors.Is(err, cloud.ErrNotSupported) {
		t.Errorf("AllocateEIP = %v; want not supported", err)
	}
	in := f.instance(t)
	free, err := f.x.OuterIPs(ctx, "port")
	if err != nil || len(free) == 0 {
		t.Fatalf("OuterIPs = %d, %v", len(free), err)
	}
	natID, err := f.x.AddPortMapping(ctx, starvcenter.PortMappingSpec{InnerIP: in.PrivateIPs[0], InnerPort: 22,
		OuterIP: free[0].Address, OuterPort: 2222, Protocol: "TCP"})
	if err != nil || natID == "" {
		t.Fatalf("AddPortMapping = %q, %v", natID, err)
	}
	maps, err := f.x.NATMappings(ctx, starvcenter.NATQuery{Type: "port"})
	if err != nil || len(maps) != 1 || maps[0].OuterPort != "2222" || maps[0].VMID != f.vm || maps[0].RouterID != rt.ID {
		t.Fatalf("NATMappings(port) = %+v, %v", maps, err)
	}
	if err := f.x.DeleteMapping(ctx, natID); err != nil {
		t.Fatal(err)
	}
	if err := f.r.ReleaseEIP(ctx, eips.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if maps, err := f.x.NATMappings(ctx, starvcenter.NATQuery{}); err != nil || len(maps) != 0 {
		t.Fatalf("after deletes: %+v, %v", maps, err)
	}
	lbID, err := f.x.CreateLoadBalancer(ctx, starvcenter.LoadBalancerSpec{Name: "web", RouterID: rt.ID, Protocol: "http",
		NetworkType: "outter", FrontIP: free[1].Address, FrontPort: 80, BackendPort: 8080,
		Backends: []starvcenter.Backend{{IP: in.PrivateIPs[0], Port: 8080, VMID: f.vm, Weight: 5}}})
	if err != nil || lbID == "" {
		t.Fatalf("CreateLoadBalancer = %q, %v", lbID, err)
	}
	lbs, err := f.x.LoadBalancers(ctx)
	if err != nil || len(lbs) != 1 || lbs[0].ID != lbID || lbs[0].BackendPort != 8080 || !lbs[0].Enabled || lbs[0].RouterID != rt.ID {
		t.Fatalf("LoadBalancers = %+v, %v", lbs, err)
	}
	if err := f.x.SetLoadBalancerEnabled(ctx, lbID, false); err != nil {
		t.Fatal(err)
	}
	bid, err := f.x.AddBackend(ctx, lbID, starvcenter.Backend{IP: in.PrivateIPs[0], Port: 8081, VMID: f.vm})
	if err != nil || bid == "" {
		t.Fatalf("AddBackend = %q, %v", bid, err)
	}
	bs, err := f.x.Backends(ctx, lbID)
	if err != nil || len(bs) != 2 {
		t.Fatalf("Backends = %+v, %v", bs, err)
	}
	if err := f.x.DeleteBackend(ctx, bid); err != nil {
		t.Fatal(err)
	}
	if err := f.x.DeleteLoadBalancer(ctx, lbID); err != nil {
		t.Fatal(err)
	}
	if lbs, err := f.x.LoadBalancers(ctx); err != nil || len(lbs) != 0 || !slices.Equal(lbs, []starvcenter.LoadBalancer{}) {
		t.Fatalf("after delete: %+v, %v", lbs, err)
	}
	if err := f.x.DetachRouterSubnet(ctx, f.vpc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.x.Router(ctx, "no-such-router"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("Router(unknown) = %v; want not found", err)
	}
}

func TestReboot(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	for _, force := range []bool{false, true} {
		if err := f.r.RebootInstances(ctx, []string{f.vm}, force); err != nil {
			t.Fatalf("RebootInstances(force=%v): %v", force, err)
		}
		if in := f.instance(t); in.Status != cloud.StatusRunning {
			t.Fatalf("after reboot(force=%v): %s", force, in.Status)
		}
	}
	if err := f.r.StopInstances(ctx, []string{f.vm}, true); err != nil {
		t.Fatal(err)
	}
	if err := f.r.RebootInstances(ctx, []string{f.vm}, false); !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("rebooting a stopped VM: %v; want conflict", err)
	}
	// Stopping a stopped VM, starting a running one: nothing to do.
	if err := f.r.StopInstances(ctx, []string{f.vm}, false); err != nil {
		t.Errorf("stop again: %v", err)
	}
	if err := f.r.DeleteInstances(ctx, []string{f.vm, "no-such-vm"}, false); err != nil {
		t.Fatalf("deleting a stopped VM and an unknown one: %v", err)
	}
	if _, err := f.r.GetInstance(ctx, f.vm); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}
