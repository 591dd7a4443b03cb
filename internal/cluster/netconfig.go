package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/task"
)

// A network configuration runs as a task so that a slow cloud (a VPC that
// takes a minute to become available) holds no HTTP request hostage and a
// restart neither loses nor repeats a create: every create carries a client
// token derived from the task id, and each stage saves what it made.

// netParams is what a network configuration task creates, validated.
type netParams struct {
	AccountID         string                    `json:"account_id"`
	RegionID          string                    `json:"region_id"`
	ZoneID            string                    `json:"zone_id"`
	VPCName           string                    `json:"vpc_name"`
	VPCCIDR           string                    `json:"vpc_cidr"`
	SwitchName        string                    `json:"switch_name"`
	SwitchCIDR        string                    `json:"switch_cidr"`
	SecurityGroupName string                    `json:"security_group_name"`
	Rules             []cloud.SecurityGroupRule `json:"rules"`
}

// netState is what the task made so far, and why it failed.
type netState struct {
	VPC           *cloud.VPC           `json:"vpc,omitempty"`
	Subnet        *cloud.Subnet        `json:"subnet,omitempty"`
	SecurityGroup *cloud.SecurityGroup `json:"security_group,omitempty"`
	// Failure keeps the error whole (code and fields), where the task
	// record keeps only its text, so the waiting request answers it as the
	// synchronous call did.
	Failure *netFailure `json:"failure,omitempty"`
	// RolledBack says the deletes of a failure were tried already.
	RolledBack bool `json:"rolled_back,omitempty"`
}

type netFailure struct {
	Code    errs.Code         `json:"code"`
	Message string            `json:"message"`
	Fields  []errs.FieldError `json:"fields,omitempty"`
}

// networkTaskTimeout bounds one network configuration: a minute for the
// VPC, the creates, and the inventory's record of them.
const networkTaskTimeout = 5 * time.Minute

func (s *Service) networkDefinition() task.Definition {
	return task.Definition{
		// One attempt: a failure has been rolled back, and a retry would
		// only meet the same refusal; a crash resumes at the stage it hit.
		Type: TaskNetworkConfig, MaxAttempts: 1, Timeout: networkTaskTimeout,
		Stages: []task.Stage{
			{Name: "vpc", Run: s.netStage((*netJob).createVPC)},
			{Name: "subnet", Run: s.netStage((*netJob).createSubnet)},
			{Name: "security_group", Run: s.netStage((*netJob).createSecurityGroup)},
			{Name: "record", Run: s.netStage((*netJob).record)},
		},
		OnEnd: s.netEnd,
	}
}

// netJob is what a stage of a network configuration works with.
type netJob struct {
	s  *Service
	r  *task.Run
	id string
	p  netParams
	st netState
	a  *inventory.Account
	rc cloud.RegionClient
}

// netToken is the client token of one create of a task: the same on every
// run of the stage, so the cloud answers a repeat with what it made.
func netToken(taskID, what string) string { return "sf-net-" + taskID + "-" + what }

func (s *Service) loadNet(ctx context.Context, r *task.Run) (*netJob, error) {
	j := &netJob{s: s, r: r, id: r.Task().ID}
	if err := r.Params(&j.p); err != nil {
		return nil, task.Permanent(err)
	}
	if err := r.State(&j.st); err != nil {
		return nil, task.Permanent(err)
	}
	a, err := s.accts.Get(ctx, j.p.AccountID)
	if err != nil {
		return j, task.Permanent(fmt.Errorf("the account of network configuration %s is gone: %w", j.id, err))
	}
	j.a = a
	if j.rc, err = s.region(ctx, a, j.p.RegionID); err != nil {
		return j, task.Permanent(err)
	}
	return j, nil
}

// netStage runs one step; on failure it deletes what the task made and
// keeps the error for the waiting request. A stage cut short (timeout,
// cancel, shutdown) leaves that to netEnd or to the resumed run.
func (s *Service) netStage(step func(*netJob, context.Context) error) func(context.Context, *task.Run) error {
	return func(ctx context.Context, r *task.Run) error {
		j, err := s.loadNet(ctx, r)
		if err == nil {
			err = step(j, ctx)
		}
		if err == nil {
			return r.SetState(j.st)
		}
		if ctx.Err() != nil || j == nil || j.rc == nil {
			return err
		}
		return j.fail(ctx, err)
	}
}

func (j *netJob) createVPC(ctx context.Context) error {
	if j.st.VPC != nil {
		return nil
	}
	v, err := j.rc.CreateVPC(ctx, cloud.VPCSpec{Name: j.p.VPCName, CIDR: j.p.VPCCIDR, ClientToken: netToken(j.id, "vpc")})
	if err != nil {
		return err
	}
	j.st.VPC = &v
	j.s.rememberVPC(v.ID, j.a.ID, j.p.RegionID)
	// Saved at once: a failure later in this run must know to delete it.
	return j.r.Checkpoint(ctx, j.st)
}

func (j *netJob) createSubnet(ctx context.Context) error {
	if j.st.Subnet != nil {
		return nil
	}
	if err := j.s.waitVPC(ctx, j.rc, j.st.VPC.ID); err != nil {
		return err
	}
	sn, err := j.s.createSubnet(ctx, j.rc, SubnetInput{ZoneID: j.p.ZoneID, CIDR: j.p.SwitchCIDR, VPCID: j.st.VPC.ID, Name: j.p.SwitchName,
		token: netToken(j.id, "subnet")})
	if err != nil {
		return err
	}
	j.st.Subnet = &sn
	return j.r.Checkpoint(ctx, j.st)
}

func (j *netJob) createSecurityGroup(ctx context.Context) error {
	if j.st.SecurityGroup != nil {
		return nil
	}
	sg, err := j.s.createSecurityGroup(ctx, j.rc, j.st.VPC.ID, j.p.SecurityGroupName, j.p.Rules, netToken(j.id, "sg"))
	if err != nil {
		return err
	}
	j.st.SecurityGroup = &sg
	return j.r.Checkpoint(ctx, j.st)
}

func (j *netJob) record(ctx context.Context) error {
	j.s.record(ctx, j.a, j.p.RegionID, networkKinds, *j.st.VPC, *j.st.Subnet, *j.st.SecurityGroup)
	return j.r.SetResult(NetworkConfigResult{VPCID: j.st.VPC.ID, SubnetID: j.st.Subnet.ID, SecurityGroupID: j.st.SecurityGroup.ID})
}

// fail rolls back, keeps the error and ends the task.
func (j *netJob) fail(ctx context.Context, cause error) error {
	note := j.s.rollbackNet(ctx, j.rc, &j.st)
	e := errs.As(fieldError(cause, ""))
	out := &errs.Error{Code: e.Code, Message: errs.PublicMessage(e) + note, Fields: e.Fields, Err: cause}
	j.st.Failure = &netFailure{Code: out.Code, Message: out.Message, Fields: out.Fields}
	if err := j.r.Checkpoint(ctx, j.st); err != nil {
		j.s.cfg.Logger.Warn("cluster: save the failure of a network configuration", "task_id", j.id, "err", err)
	}
	return task.Permanent(out)
}

// rollbackNet deletes the subnet and VPC a task made (a security group
// goes with its VPC on every supported cloud, and deleting the VPC first
// would be refused) and says how that went, for the error's detail.
func (s *Service) rollbackNet(ctx context.Context, rc cloud.RegionClient, st *netState) string {
	if st.VPC == nil {
		return ""
	}
	var failed []string
	if st.SecurityGroup != nil {
		if err := s.deleteWhenFree(ctx, func(ctx context.Context) error { return rc.DeleteSecurityGroup(ctx, st.SecurityGroup.ID) }); err != nil {
			failed = append(failed, "security group "+st.SecurityGroup.ID)
		}
	}
	if st.Subnet != nil {
		if err := s.deleteWhenFree(ctx, func(ctx context.Context) error { return rc.DeleteSubnet(ctx, st.Subnet.ID) }); err != nil {
			failed = append(failed, "subnet "+st.Subnet.ID)
		}
	}
	if err := s.deleteWhenFree(ctx, func(ctx context.Context) error { return rc.DeleteVPC(ctx, st.VPC.ID) }); err != nil {
		failed = append(failed, "VPC "+st.VPC.ID)
	}
	st.RolledBack = true
	if len(failed) > 0 {
		s.cfg.Logger.Warn("cluster: network config rollback incomplete", "left", failed)
		return " (rolling back failed for " + strings.Join(failed, ", ") + ": delete them by hand)"
	}
	return " (everything created so far was deleted again)"
}

// netEnd rolls back a task that ended without success before its stages
// could (timed out, cancelled, aborted).
func (s *Service) netEnd(ctx context.Context, t *task.Task, status task.Status, _ string) {
	if status == task.Success {
		return
	}
	cur, err := s.tasks.Get(ctx, t.ID)
	if err != nil {
		return
	}
	var st netState
	if json.Unmarshal(cur.State, &st) != nil || st.RolledBack || st.VPC == nil {
		return
	}
	var p netParams
	if json.Unmarshal(cur.Params, &p) != nil {
		return
	}
	a, err := s.accts.Get(ctx, p.AccountID)
	if err != nil {
		return
	}
	rc, err := s.region(ctx, a, p.RegionID)
	if err != nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s.rollbackNet(rctx, rc, &st)
}

// awaitNetwork waits for a network configuration task: its result when it
// ends in time, its error whole when it failed, else a pending result that
// names the task.
func (s *Service) awaitNetwork(ctx context.Context, id string, wait time.Duration) (*NetworkConfigResult, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := s.NetworkConfigStatus(ctx, inventory.SystemScope, id)
		if err != nil {
			return nil, err
		}
		if st.Done {
			return &st.NetworkConfigResult, st.Err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			st.Pending = true
			return &st.NetworkConfigResult, nil
		case <-tick.C:
		}
	}
}

// NetworkConfigState is where a network configuration task stands.
type NetworkConfigState struct {
	NetworkConfigResult
	// Status is BridgX's: RUNNING, SUCCESS or FAILED.
	Status string
	Done   bool
	// Err is why the task failed, as the synchronous call would have said.
	Err error
}

// NetworkConfigStatus reports a network configuration task the scope may
// see: what it made so far, and its error if it failed.
func (s *Service) NetworkConfigStatus(ctx context.Context, sc inventory.Scope, id string) (*NetworkConfigState, error) {
	if s.tasks == nil {
		return nil, errs.NotFoundf("network configuration task", id)
	}
	t, err := s.tasks.Get(ctx, id)
	if err != nil || t.Type != TaskNetworkConfig || !sees(sc, t.DomainID, t.ProjectID) {
		return nil, errs.NotFoundf("network configuration task", id)
	}
	out := &NetworkConfigState{Status: StatusRunning}
	out.TaskID = t.ID
	var st netState
	_ = json.Unmarshal(t.State, &st)
	if st.VPC != nil {
		out.VPCID = st.VPC.ID
	}
	if st.Subnet != nil {
		out.SubnetID = st.Subnet.ID
	}
	if st.SecurityGroup != nil {
		out.SecurityGroupID = st.SecurityGroup.ID
	}
	if !t.Status.Terminal() {
		return out, nil
	}
	out.Done = true
	if t.Status == task.Success {
		out.Status = StatusSuccess
		if err := json.Unmarshal(t.Result, &out.NetworkConfigResult); err != nil {
			return nil, fmt.Errorf("network configuration task %s: result: %w", id, err)
		}
		out.TaskID = t.ID
		return out, nil
	}
	out.Status = StatusFailed
	out.VPCID, out.SubnetID, out.SecurityGroupID = "", "", ""
	if f := st.Failure; f != nil {
		out.Err = &errs.Error{Code: f.Code, Message: f.Message, Fields: f.Fields}
	} else {
		out.Err = errs.E(errs.Unavailable, "network configuration task %s %s: %s", id, t.Status, t.Error)
	}
	return out, nil
}

// sees reports whether a scope covers an object of a domain and project,
// as scoped does for queries.
func sees(sc inventory.Scope, domainID, projectID string) bool {
	if sc.System {
		return true
	}
	if sc.DomainID != "" && sc.DomainID == domainID {
		return true
	}
	for _, p := range sc.ProjectIDs {
		if p == projectID {
			return true
		}
	}
	return false
}
