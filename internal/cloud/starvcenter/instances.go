package starvcenter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// NIC is a VM's network card (cloudvm/vnic/search).
type NIC = cloud.NIC

func parseNIC(r record, loc *time.Location) NIC {
	return NIC{ID: r.str("vnic.id"), Name: r.str("vnic.name"), Desc: r.str("vnic.desc"), VMID: r.str("vnic.vmid"),
		MAC: r.str("vnic.macaddress"), IP: r.str("vnic.ipaddress"), VPCID: r.str("vnic.vpc.id"),
		VPCName: r.str("vnic.vpc.name"), CreatedAt: r.time(loc, "vnic.createtime")}
}

// NICs lists a VM's network cards.
func (r *Region) NICs(ctx context.Context, vmID string) ([]NIC, error) {
	const op = "cloudvm.vnic.search"
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudvm/vnic/search", params{"vnic.vmid": vmID})
	if err != nil {
		return nil, err
	}
	recs, err := decodeRecords(env.Data)
	if err != nil {
		return nil, malformed(op, err)
	}
	out := make([]NIC, 0, len(recs))
	for _, rec := range recs {
		if n := parseNIC(rec, r.p.loc); n.ID != "" {
			out = append(out, n)
		}
	}
	return out, nil
}

// getVM reads one VM (GET cloudvm/{vmId}).
func (r *Region) getVM(ctx context.Context, op, id string) (record, error) {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#") {
		return nil, cloud.Errorf(cloud.ErrNotFound, providerName, op, "vm %q not found", id)
	}
	env, err := r.p.t.call(ctx, op, http.MethodGet, "cloudvm/"+pathID(id), nil)
	if err != nil {
		return nil, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return nil, malformed(op, err)
	}
	if rec.str("vm.id") == "" {
		return nil, cloud.Errorf(cloud.ErrNotFound, providerName, op, "vm %s not found", id)
	}
	return rec, nil
}

// settle reads a VM, waiting while it is installing, starting or stopping
// (states and locks the driver's own operations cause and that end by
// themselves). Other locks are returned as they are.
func (r *Region) settle(ctx context.Context, op, id string) (record, error) {
	return r.waitVM(ctx, op, id, func(state, lock int) bool {
		return lock == LockStarting || lock == LockStopping || lock == LockInstalling ||
			(lock == LockNone && (state == StateInstalling || state == StateCloning))
	})
}

// waitVM reads a VM until busy says it is not busy any more.
func (r *Region) waitVM(ctx context.Context, op, id string, busy func(state, lock int) bool) (record, error) {
	if _, ok := ctx.Deadline(); !ok && r.p.tasks.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.p.tasks.timeout)
		defer cancel()
	}
	delay := r.p.tasks.interval
	for {
		rec, err := r.getVM(ctx, op, id)
		if err != nil && !cloud.Retryable(err) {
			return nil, err
		}
		if err == nil {
			state, lock, ok := parseVMState(rec)
			if !ok {
				return nil, malformed(op, fmt.Errorf("vm %s has no readable vm.state", id))
			}
			if !busy(state, lock) {
				return rec, nil
			}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &cloud.Error{Kind: cloud.ErrConflict, Provider: providerName, Op: op,
				Message: fmt.Sprintf("vm %s still busy: %v", id, ctx.Err()), Err: ctx.Err()}
		case <-t.C:
		}
		delay = min(delay*3/2+time.Millisecond, r.p.tasks.max)
	}
}

// vmShape reads CPU and memory.
func vmShape(rec record) (cpu, mem int) {
	c, _ := rec.int("vm.vcpu.num")
	m, _ := rec.int("vm.memory.mem")
	if c < 0 || c > 1<<20 {
		c = 0
	}
	if m < 0 || m > 1<<40 {
		m = 0
	}
	return int(c), int(m)
}

// instanceFrom builds an Instance from a VM record and what enrich found.
func (r *Region) instanceFrom(rec record, nics []NIC, groups map[string][]string, public map[string][]string) cloud.Instance {
	id := rec.str("vm.id")
	state, lock, ok := parseVMState(rec)
	status, raw := cloud.StatusUnknown, rec.str("vm.state")
	if ok {
		status, raw = vmStatus(state, lock), rawStatus(state, lock)
	}
	cpu, mem := vmShape(rec)
	in := cloud.Instance{Meta: r.meta("instance", id, rec.str("vm.name"), status, raw), CPU: cpu, MemoryMiB: mem,
		ImageID: rec.str("vm.tenant.model"), ChargeType: cloud.PostPaid}
	if cpu > 0 && mem > 0 {
		in.InstanceType = typeID(cpu, mem)
	}
	if in.ImageID != "" {
		in.OSType = osType(in.ImageID, "")
	}
	in.CreatedAt = rec.time(r.p.loc, "vm.createtime")
	_, m := decodeDesc(rec.str("vm.desc"))
	if len(m.Tags) > 0 {
		in.Tags = maps.Clone(m.Tags)
	}
	for _, n := range nics {
		if n.IP != "" && !slices.Contains(in.PrivateIPs, n.IP) {
			in.PrivateIPs = append(in.PrivateIPs, n.IP)
		}
		if in.VPCID == "" && n.VPCID != "" {
			in.VPCID, in.SubnetID = n.VPCID, n.VPCID
		}
		for _, g := range groups[n.ID] {
			if !slices.Contains(in.SecurityGroupIDs, g) {
				in.SecurityGroupIDs = append(in.SecurityGroupIDs, g)
			}
		}
	}
	if ip := rec.str("vm.ip"); ip != "" && !slices.Contains(in.PrivateIPs, ip) {
		in.PrivateIPs = append([]string{ip}, in.PrivateIPs...)
	}
	in.PublicIPs = slices.Clone(public[id])
	return in
}

// nicGroups maps NIC ids to the security groups bound to them.
func (r *Region) nicGroups(ctx context.Context, op string) (map[string][]string, error) {
	groups, err := r.p.searchAll(ctx, op, "cloudsegroup/search", params{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, g := range groups {
		gid := g.str("securitygroup.id")
		if gid == "" {
			continue
		}
		nics, err := r.p.searchAll(ctx, op, "cloudsegroup/vnic/search", params{"securitygroup.id": gid})
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) { // deleted meanwhile
				continue
			}
			return nil, err
		}
		for _, n := range nics {
			if id := n.str("vnic.id"); id != "" {
				out[id] = append(out[id], gid)
			}
		}
	}
	return out, nil
}

// publicIPs maps VM ids to the outer addresses of their IP mappings.
func (r *Region) publicIPs(ctx context.Context, op string) (map[string][]string, error) {
	rows, err := r.p.searchAll(ctx, op, "cloudnetwork/sharenet/search", params{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, m := range rows {
		vm, ip := m.str("vm.id"), m.str("tenant.shareip")
		if vm != "" && ip != "" && !slices.Contains(out[vm], ip) {
			out[vm] = append(out[vm], ip)
		}
	}
	return out, nil
}

// enrich turns VM records into Instances, reading their NICs, security
// groups and public addresses.
func (r *Region) enrich(ctx context.Context, op string, recs []record) ([]cloud.Instance, error) {
	out := make([]cloud.Instance, 0, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	groups, err := r.nicGroups(ctx, op)
	if err != nil {
		return nil, err
	}
	public, err := r.publicIPs(ctx, op)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		nics, err := r.NICs(ctx, rec.str("vm.id"))
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) { // deleted meanwhile
				continue
			}
			return nil, err
		}
		out = append(out, r.instanceFrom(rec, nics, groups, public))
	}
	return out, nil
}

// GetInstance returns one VM or ErrNotFound.
func (r *Region) GetInstance(ctx context.Context, id string) (cloud.Instance, error) {
	const op = "GetInstance"
	rec, err := r.getVM(ctx, op, id)
	if err != nil {
		return cloud.Instance{}, err
	}
	ins, err := r.enrich(ctx, op, []record{rec})
	if err != nil {
		return cloud.Instance{}, err
	}
	if len(ins) == 0 {
		return cloud.Instance{}, cloud.Errorf(cloud.ErrNotFound, providerName, op, "vm %s not found", id)
	}
	return ins[0], nil
}

// matchRecord applies the filters that need no extra call.
func (r *Region) matchRecord(rec record, q cloud.InstanceQuery) bool {
	if q.Status != "" {
		state, lock, ok := parseVMState(rec)
		if !ok || vmStatus(state, lock) != q.Status {
			return false
		}
	}
	if len(q.Tags) > 0 {
		_, m := decodeDesc(rec.str("vm.desc"))
		for k, v := range q.Tags {
			if got, ok := m.Tags[k]; !ok || got != v {
				return false
			}
		}
	}
	return true
}

// ListInstances lists VMs. Ids are read one by one; status, tag and VPC
// filters are applied by the driver over the whole listing (StarVCenter
// filters by none of them); otherwise StarVCenter pages.
func (r *Region) ListInstances(ctx context.Context, q cloud.InstanceQuery, page cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
	const op = "ListInstances"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.Instance]{}, err
	}
	if q.ZoneID != "" && q.ZoneID != r.p.zoneID {
		return pageOf([]cloud.Instance{}, 0, size), nil
	}
	if len(q.IDs) > 0 {
		return r.listByIDs(ctx, op, q, offset, size)
	}
	if q.Status == "" && len(q.Tags) == 0 && q.VPCID == "" {
		recs, total, err := r.p.searchWindow(ctx, op, "cloudvm/search", params{}, offset, size)
		if err != nil {
			return cloud.Page[cloud.Instance]{}, err
		}
		ins, err := r.enrich(ctx, op, recs)
		if err != nil {
			return cloud.Page[cloud.Instance]{}, err
		}
		return cloud.Page[cloud.Instance]{Items: ins, Total: total, NextToken: nextToken(offset, len(recs), size, total)}, nil
	}
	all, err := r.p.searchAll(ctx, op, "cloudvm/search", params{})
	if err != nil {
		return cloud.Page[cloud.Instance]{}, err
	}
	var recs []record
	for _, rec := range all {
		if r.matchRecord(rec, q) {
			recs = append(recs, rec)
		}
	}
	if q.VPCID == "" {
		pg := pageOf(recs, offset, size)
		ins, err := r.enrich(ctx, op, pg.Items)
		if err != nil {
			return cloud.Page[cloud.Instance]{}, err
		}
		return cloud.Page[cloud.Instance]{Items: ins, Total: pg.Total, NextToken: pg.NextToken}, nil
	}
	ins, err := r.enrich(ctx, op, recs)
	if err != nil {
		return cloud.Page[cloud.Instance]{}, err
	}
	ins = slices.DeleteFunc(ins, func(in cloud.Instance) bool { return in.VPCID != q.VPCID })
	return pageOf(ins, offset, size), nil
}

func (r *Region) listByIDs(ctx context.Context, op string, q cloud.InstanceQuery, offset, size int) (cloud.Page[cloud.Instance], error) {
	var ids []string
	for _, id := range q.IDs {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	window := pageOf(ids, offset, size)
	var recs []record
	for _, id := range window.Items {
		rec, err := r.getVM(ctx, op, id)
		if errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return cloud.Page[cloud.Instance]{}, err
		}
		if r.matchRecord(rec, q) {
			recs = append(recs, rec)
		}
	}
	ins, err := r.enrich(ctx, op, recs)
	if err != nil {
		return cloud.Page[cloud.Instance]{}, err
	}
	if q.VPCID != "" {
		ins = slices.DeleteFunc(ins, func(in cloud.Instance) bool { return in.VPCID != q.VPCID })
	}
	return cloud.Page[cloud.Instance]{Items: ins, NextToken: window.NextToken, Total: -1}, nil
}

// dedupIDs drops blanks and repeats.
func dedupIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// vmAction is one call of a batch VM operation.
type vmAction struct {
	id     string
	method string
	path   string
	param  params
	gone   bool // a delete: an object already gone is no failure
}

// runActions makes the calls and follows their tasks. When a call fails,
// the tasks already started are still followed (so the VMs have settled)
// before the error is returned.
func (r *Region) runActions(ctx context.Context, op string, acts []vmAction) error {
	var started []string
	var callErr error
	for _, a := range acts {
		env, err := r.p.t.call(ctx, op, a.method, a.path, a.param)
		if a.gone && errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			callErr = err
			break
		}
		started = append(started, env.StartID)
	}
	waitErr := r.p.waitTasks(ctx, op, started)
	if callErr != nil {
		return callErr
	}
	return waitErr
}

// batch runs an operation on several VMs: decide looks at each settled VM
// and returns the call to make, or none.
func (r *Region) batch(ctx context.Context, op string, ids []string, decide func(id string, rec record, state int) (*vmAction, error)) error {
	var acts []vmAction
	for _, id := range dedupIDs(ids) {
		rec, err := r.settle(ctx, op, id)
		if err != nil {
			return err
		}
		state, lock, _ := parseVMState(rec)
		if lock != LockNone {
			return lockedErr(op, id, lock)
		}
		a, err := decide(id, rec, state)
		if err != nil {
			return err
		}
		if a != nil {
			acts = append(acts, *a)
		}
	}
	return r.runActions(ctx, op, acts)
}

func stateConflict(op, id string, state int, what string) error {
	return cloud.Errorf(cloud.ErrConflict, providerName, op, "vm %s is %s (state %d): cannot %s", id, stateNames[state], state, what)
}

func putVM(id, path string) *vmAction {
	return &vmAction{id: id, method: http.MethodPut, path: path, param: params{"vm.id": id}}
}

// StartInstances starts stopped or sleeping VMs; running ones are left as
// they are.
func (r *Region) StartInstances(ctx context.Context, ids []string) error {
	const op = "StartInstances"
	return r.batch(ctx, op, ids, func(id string, _ record, state int) (*vmAction, error) {
		switch state {
		case StateRunning:
			return nil, nil
		case StateStopped, StateSleeping:
			return putVM(id, "cloudvm/start"), nil
		}
		return nil, stateConflict(op, id, state, "start")
	})
}

// StopInstances shuts VMs down through the guest (cloudvm/shutdown) or,
// with force, powers them off (cloudvm/destroy). Stopped, sleeping and
// never-created VMs are left as they are; a VM whose guest cannot shut down
// (vm.shutdown.enable false) needs force.
func (r *Region) StopInstances(ctx context.Context, ids []string, force bool) error {
	const op = "StopInstances"
	return r.batch(ctx, op, ids, func(id string, rec record, state int) (*vmAction, error) {
		switch {
		case state == StateStopped || state == StateSleeping || state == StateCreateFailed:
			return nil, nil
		case force && (state == StateRunning || state == StateFaultCheck):
			return putVM(id, "cloudvm/destroy"), nil
		case state == StateRunning:
			if s := rec.str("vm.shutdown.enable"); s != "" && !rec.boolean("vm.shutdown.enable") {
				return nil, cloud.Errorf(cloud.ErrConflict, providerName, op,
					"vm %s cannot shut down its guest (vm.shutdown.enable=false): stop it with force", id)
			}
			return putVM(id, "cloudvm/shutdown"), nil
		}
		return nil, stateConflict(op, id, state, "stop")
	})
}

// RebootInstances restarts running VMs (cloudvm/restart); with force it
// powers them off and starts them again.
func (r *Region) RebootInstances(ctx context.Context, ids []string, force bool) error {
	const op = "RebootInstances"
	if force {
		if err := r.batch(ctx, op, ids, func(id string, _ record, state int) (*vmAction, error) {
			if state != StateRunning && state != StateFaultCheck {
				return nil, stateConflict(op, id, state, "reboot")
			}
			return putVM(id, "cloudvm/destroy"), nil
		}); err != nil {
			return err
		}
		return r.StartInstances(ctx, ids)
	}
	return r.batch(ctx, op, ids, func(id string, rec record, state int) (*vmAction, error) {
		if state != StateRunning {
			return nil, stateConflict(op, id, state, "reboot")
		}
		if s := rec.str("vm.reboot.enable"); s != "" && !rec.boolean("vm.reboot.enable") {
			return nil, cloud.Errorf(cloud.ErrConflict, providerName, op,
				"vm %s cannot restart its guest (vm.reboot.enable=false): reboot it with force", id)
		}
		return putVM(id, "cloudvm/restart"), nil
	})
}

// DeleteInstances deletes VMs; ids that do not exist are skipped. A running
// VM needs force; should the server refuse to delete it running, it is
// powered off first.
func (r *Region) DeleteInstances(ctx context.Context, ids []string, force bool) error {
	const op = "DeleteInstances"
	var live []string
	for _, id := range dedupIDs(ids) {
		rec, err := r.settle(ctx, op, id)
		if errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		state, lock, _ := parseVMState(rec)
		if lock != LockNone {
			return lockedErr(op, id, lock)
		}
		if state == StateRunning && !force {
			return cloud.Errorf(cloud.ErrConflict, providerName, op, "vm %s is running: stop it first or delete with force", id)
		}
		live = append(live, id)
	}
	deletes := func(ids []string) []vmAction {
		var acts []vmAction
		for _, id := range ids {
			acts = append(acts, vmAction{id: id, method: http.MethodDelete, path: "cloudvm/" + pathID(id), gone: true})
		}
		return acts
	}
	err := r.runActions(ctx, op, deletes(live))
	if err == nil || !force || !errors.Is(err, cloud.ErrConflict) {
		return err
	}
	// StarVCenter refused to delete a VM in its state: power off what is
	// left, then delete it.
	var rest []string
	for _, id := range live {
		if _, gerr := r.getVM(ctx, op, id); gerr == nil {
			rest = append(rest, id)
		} else if !errors.Is(gerr, cloud.ErrNotFound) {
			return errors.Join(err, gerr)
		}
	}
	if serr := r.StopInstances(ctx, rest, true); serr != nil {
		return errors.Join(err, serr)
	}
	return r.runActions(ctx, op, deletes(rest))
}

// ChangeInstanceType changes CPU and memory to the shape's (cloudvm/cpu/modify
// and cloudvm/mem/modify), each followed to its end.
func (r *Region) ChangeInstanceType(ctx context.Context, id, instanceType string) error {
	const op = "ChangeInstanceType"
	cpu, mem, err := parseInstanceType(instanceType)
	if err != nil {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "%v", err)
	}
	rec, err := r.settle(ctx, op, id)
	if err != nil {
		return err
	}
	if _, lock, _ := parseVMState(rec); lock != LockNone {
		return lockedErr(op, id, lock)
	}
	curCPU, curMem := vmShape(rec)
	if cpu != curCPU {
		if err := r.resize(ctx, op, id, "cloudvm/cpu/modify", "vm.vcpu.num", cpu); err != nil {
			return err
		}
	}
	if mem != curMem {
		return r.resize(ctx, op, id, "cloudvm/mem/modify", "vm.memory.mem", mem)
	}
	return nil
}

func (r *Region) resize(ctx context.Context, op, id, path, key string, n int) error {
	env, err := r.p.t.call(ctx, op, http.MethodPut, path, params{"vm.id": id, key: itoa(n)})
	if err != nil {
		return err
	}
	_, err = r.p.waitTask(ctx, op, env.StartID)
	return err
}
