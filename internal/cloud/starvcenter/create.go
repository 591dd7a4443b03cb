package starvcenter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// createSpec is a checked CreateInstancesRequest.
type createSpec struct {
	cpu, mem  int
	model     string // vm.tenant.model
	template  string // vm.template.id
	subnet    string // vnic.portgroupid
	amount    int
	minAmount int
	base      string
	tok       string
	password  string
	diskNum   int
	diskSize  int
	groups    []string
	tags      map[string]string
	publicIP  bool
	hasToken  bool
}

// templatePrefix marks an image id that names a VM template
// (vm.template.id) rather than a model.
const templatePrefix = "template:"

func (r *Region) checkCreate(op string, req cloud.CreateInstancesRequest) (createSpec, error) {
	bad := func(format string, args ...any) (createSpec, error) {
		return createSpec{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, format, args...)
	}
	if req.Amount < 1 {
		return bad("Amount %d: want at least 1", req.Amount)
	}
	if req.MinAmount < 0 || req.MinAmount > req.Amount {
		return bad("MinAmount %d: want 0..Amount (%d)", req.MinAmount, req.Amount)
	}
	if req.ZoneID != "" && req.ZoneID != r.p.zoneID {
		return bad("unknown zone %q (this server has %q)", req.ZoneID, r.p.zoneID)
	}
	if strings.TrimSpace(req.InstanceType) == "" {
		return bad("InstanceType is required")
	}
	cpu, mem, err := parseInstanceType(req.InstanceType)
	if err != nil {
		return bad("%v", err)
	}
	if strings.TrimSpace(req.SubnetID) == "" {
		return bad("SubnetID (the StarVCenter private network) is required")
	}
	if req.ChargeType != "" && req.ChargeType != cloud.PostPaid {
		return bad("charge type %s: a private cloud has no subscriptions", req.ChargeType)
	}
	if req.KeyPairName != "" {
		return bad("StarVCenter has no key pairs: give a Password")
	}
	if req.UserData != "" {
		return bad("StarVCenter takes no user data")
	}
	s := createSpec{cpu: cpu, mem: mem, subnet: strings.TrimSpace(req.SubnetID), amount: req.Amount,
		minAmount: req.MinAmount, base: strings.TrimSpace(req.Name), tok: tokenHash(req.ClientToken),
		password: req.Password, groups: dedupIDs(req.SecurityGroupIDs), tags: maps.Clone(req.Tags),
		publicIP: req.InternetMaxBandwidthOut > 0, hasToken: req.ClientToken != ""}
	if s.minAmount == 0 {
		s.minAmount = s.amount
	}
	if s.base == "" {
		s.base = "skyfold"
	}
	if strings.Contains(s.base, nameMarkSep) && s.hasToken {
		return bad("Name %q may not contain %q", s.base, nameMarkSep)
	}
	img := strings.TrimSpace(req.ImageID)
	if t, ok := strings.CutPrefix(img, templatePrefix); ok {
		s.template = t
	} else {
		s.model = img
	}
	for i, d := range req.DataDisks {
		if d.SizeGiB < 1 || d.SizeGiB > 65536 {
			return bad("data disk %d: size %d GiB, want 1..65536", i, d.SizeGiB)
		}
		if i > 0 && d.SizeGiB != s.diskSize {
			return bad("StarVCenter creates data disks of one size; add others with Extensions.AddDisk")
		}
		s.diskSize = d.SizeGiB
	}
	s.diskNum = len(req.DataDisks)
	if s.diskNum > 8 {
		return bad("%d data disks: StarVCenter creates at most 8", s.diskNum)
	}
	return s, nil
}

// CreateInstances creates VMs through cloudvm/create, one call per VM so
// each gets its own name, and follows each creation to its end. It then
// writes the tags into the VM's description, binds the security groups to
// the VM's NIC and, when InternetMaxBandwidthOut > 0, maps a public address
// to it (the bandwidth itself is not a StarVCenter setting).
//
// StarVCenter takes no client token: the driver puts a digest of
// ClientToken in each VM's name ("<name>-<n>.t<digest>"), looks for VMs
// with that name before creating, and creates only the missing ones, so a
// retried request converges on the same VMs. Without a token a failed
// request deletes the VMs it made (all or nothing); with one they are kept
// for the retry. When the tenant id is configured the quota is checked
// first: with MinAmount below Amount, as many VMs as the quota allows (at
// least MinAmount) are made.
func (r *Region) CreateInstances(ctx context.Context, req cloud.CreateInstancesRequest) (cloud.CreateInstancesResult, error) {
	const op = "CreateInstances"
	s, err := r.checkCreate(op, req)
	if err != nil {
		return cloud.CreateInstancesResult{}, err
	}
	if req.DryRun {
		if err := r.dryRun(ctx, op, s); err != nil {
			return cloud.CreateInstancesResult{}, err
		}
		return cloud.CreateInstancesResult{DryRun: true}, nil
	}
	existing := map[int]string{} // index -> vm id
	if s.hasToken {
		if existing, err = r.findCreated(ctx, op, s); err != nil {
			return cloud.CreateInstancesResult{}, err
		}
	}
	var missing []int
	for i := 1; i <= s.amount; i++ {
		if _, ok := existing[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		fit, err := r.quotaFit(ctx, op, s, len(missing))
		if err != nil {
			return cloud.CreateInstancesResult{}, err
		}
		if fit < len(missing) {
			missing = missing[:fit]
		}
	}
	made := map[int]string{}
	var jobs []string
	var createErr error
	for _, i := range missing {
		id, job, err := r.createOne(ctx, op, s, i)
		if err != nil {
			createErr = err
			break
		}
		made[i], jobs = id, append(jobs, job)
	}
	taskErr := r.p.waitTasks(ctx, op, jobs)
	ids := func() []string {
		all := maps.Clone(existing)
		maps.Copy(all, made)
		var out []string
		for _, i := range slices.Sorted(maps.Keys(all)) {
			out = append(out, all[i])
		}
		return out
	}
	if err := errors.Join(createErr, taskErr); err != nil {
		return r.failCreate(ctx, op, s, made, ids, err)
	}
	for _, id := range existing { // made by an earlier try: let them finish installing
		if _, err := r.settle(ctx, op, id); err != nil {
			return cloud.CreateInstancesResult{InstanceIDs: ids()}, err
		}
	}
	if err := r.finishCreate(ctx, op, s, ids()); err != nil {
		return cloud.CreateInstancesResult{InstanceIDs: ids()}, err
	}
	return cloud.CreateInstancesResult{InstanceIDs: ids()}, nil
}

// failCreate cleans up after a failed create and returns the error.
// Without a client token every VM this call made is deleted; with one only
// the VMs whose creation failed are, so a retry makes them again.
func (r *Region) failCreate(ctx context.Context, op string, s createSpec, made map[int]string, ids func() []string, err error) (cloud.CreateInstancesResult, error) {
	var drop []string
	for i, id := range made {
		rec, gerr := r.getVM(ctx, op, id)
		state, _, _ := parseVMState(rec)
		if !s.hasToken || (gerr == nil && state == StateCreateFailed) {
			drop = append(drop, id)
			delete(made, i)
		}
	}
	if len(drop) > 0 {
		if derr := r.DeleteInstances(context.WithoutCancel(ctx), drop, true); derr != nil {
			r.p.log.WarnContext(ctx, "starvcenter: cleanup after a failed create", "vms", drop, "err", derr)
			return cloud.CreateInstancesResult{InstanceIDs: append(ids(), drop...)}, errors.Join(err, derr)
		}
	}
	return cloud.CreateInstancesResult{InstanceIDs: ids()}, err
}

// findCreated finds the VMs an earlier try of the same request made.
func (r *Region) findCreated(ctx context.Context, op string, s createSpec) (map[int]string, error) {
	rows, err := r.p.searchAll(ctx, op, "cloudvm/search", params{"vm.name": nameMarkSep + s.tok})
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, rec := range rows {
		id := rec.str("vm.id")
		i, ok := nameIndex(rec.str("vm.name"), s.amount, s.tok)
		if id == "" || !ok {
			continue
		}
		if state, _, ok := parseVMState(rec); ok && state == StateCreateFailed {
			continue // failed: make it again
		}
		out[i] = id
	}
	return out, nil
}

// createOne makes the index-th VM and returns its id and task.
func (r *Region) createOne(ctx context.Context, op string, s createSpec, index int) (string, string, error) {
	prm := params{
		"vm.name":          markedName(s.base, index, s.amount, s.tok),
		"vm.vcpu.num":      itoa(s.cpu),
		"vm.memory.mem":    itoa(s.mem),
		"vnic.portgroupid": s.subnet,
		"vm.num":           "1",
	}
	if s.model != "" {
		prm["vm.tenant.model"] = s.model
	}
	if s.template != "" {
		prm["vm.template.id"] = s.template
	}
	if s.password != "" {
		prm["vm.account.pwd"] = s.password
	}
	if s.diskNum > 0 {
		prm["vm.vdisk.num"] = itoa(s.diskNum)
		prm["vm.vdisk.size"] = itoa(s.diskSize)
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/create", prm)
	if err != nil {
		return "", "", err
	}
	recs, err := decodeRecords(env.Data)
	if err != nil {
		return "", "", malformed(op, err)
	}
	if len(recs) == 0 || recs[0].str("vm.id") == "" {
		return "", "", malformed(op, errors.New("cloudvm/create answered no vm.id"))
	}
	job := recs[0].str("jobstartid", "startid")
	if job == "" {
		job = env.StartID
	}
	return recs[0].str("vm.id"), job, nil
}

// finishCreate writes tags, binds security groups and maps public
// addresses; each step checks first, so a retry redoes only what is missing.
func (r *Region) finishCreate(ctx context.Context, op string, s createSpec, ids []string) error {
	want := descMeta{Token: s.tok, Tags: s.tags}
	nicOf := map[string]string{} // vm id -> primary NIC id
	for _, id := range ids {
		rec, err := r.getVM(ctx, op, id)
		if err != nil {
			return err
		}
		text, have := decodeDesc(rec.str("vm.desc"))
		if !want.empty() && !have.equal(want) {
			if _, err := r.p.t.call(ctx, op, http.MethodPut, "cloudvm/modify",
				params{"vm.id": id, "vm.desc": encodeDesc(text, want)}); err != nil {
				return err
			}
		}
		if len(s.groups) > 0 {
			nics, err := r.NICs(ctx, id)
			if err != nil {
				return err
			}
			if len(nics) == 0 {
				return cloud.Errorf(cloud.ErrProvider, providerName, op, "vm %s has no NIC to bind security groups to", id)
			}
			nicOf[id] = nics[0].ID
		}
	}
	for _, g := range s.groups {
		bound, err := r.p.searchAll(ctx, op, "cloudsegroup/vnic/search", params{"securitygroup.id": g})
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, n := range bound {
			have[n.str("vnic.id")] = true
		}
		var todo []string
		for _, id := range ids {
			if n := nicOf[id]; n != "" && !have[n] {
				todo = append(todo, n)
			}
		}
		if len(todo) > 0 {
			if err := r.BindSecurityGroup(ctx, g, todo); err != nil {
				return err
			}
		}
	}
	if s.publicIP {
		public, err := r.publicIPs(ctx, op)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if len(public[id]) == 0 {
				if _, err := r.MapPublicIP(ctx, id, "", ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// dryRun checks what a create would need: the model, the network, the
// security groups and, with a tenant id, the quota.
func (r *Region) dryRun(ctx context.Context, op string, s createSpec) error {
	if s.model != "" {
		models, err := r.Models(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(models, func(m Model) bool { return m.Code == s.model }) {
			return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "unknown image (VM model) %q", s.model)
		}
	}
	if _, err := r.findVPC(ctx, op, s.subnet); err != nil {
		return err
	}
	for _, g := range s.groups {
		if _, err := r.findGroup(ctx, op, g); err != nil {
			return err
		}
	}
	_, err := r.quotaFit(ctx, op, s, s.amount)
	return err
}

// quotaFit checks n more VMs of the spec against the tenant's usable quota
// and returns how many fit (n, or fewer but at least what MinAmount asks).
// Without a tenant id it cannot ask and trusts the server to refuse.
func (r *Region) quotaFit(ctx context.Context, op string, s createSpec, n int) (int, error) {
	if r.p.tenantID == "" {
		return n, nil
	}
	q, err := r.Quota(ctx)
	if err != nil {
		return 0, err
	}
	fit := n
	type dim struct {
		name, unit   string
		quota, avail int64
		per          int64
	}
	dims := []dim{
		{"CPU", "cores", q.CPU, q.CPUAvailable, int64(s.cpu)},
		{"memory", "MB", q.MemoryMB, q.MemoryAvailableMB, int64(s.mem)},
		{"storage (data disks)", "GB", q.StorageGB, q.StorageAvailableGB, int64(s.diskNum * s.diskSize)},
	}
	var short *dim
	for i, d := range dims {
		if d.quota <= 0 || d.per <= 0 { // 0: unlimited
			continue
		}
		if k := int(min(d.avail/d.per, int64(n))); k < fit {
			fit, short = k, &dims[i]
		}
	}
	already := s.amount - n
	if fit < n && already+fit < s.minAmount {
		d := *short
		used := d.quota - d.avail
		return 0, &cloud.Error{Kind: cloud.ErrQuotaExceeded, Provider: providerName, Op: op, Code: "quota",
			Message: fmt.Sprintf("%s quota exceeded: quota %d %s, used %d %s, requested %d %s for %d VMs",
				d.name, d.quota, d.unit, used, d.unit, d.per*int64(n), d.unit, n)}
	}
	return fit, nil
}
