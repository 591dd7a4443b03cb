package task

import (
	"context"
	"fmt"
	"time"
)

// ProbeType is a built-in diagnostic task: it walks through up to
// ProbeMaxStages stages, sleeping in each. Operators use it to check that
// workers pick up and finish tasks; tests use it to kill a server mid-task.
const ProbeType = "system.probe"

// ProbeMaxStages bounds the probe's stage count.
const ProbeMaxStages = 20

// ProbeParams are the probe's parameters.
type ProbeParams struct {
	Stages  int `json:"stages"`   // 1..ProbeMaxStages
	StageMS int `json:"stage_ms"` // sleep per stage, 0..600000
}

// Validate checks the parameters.
func (p ProbeParams) Validate() error {
	if p.Stages < 1 || p.Stages > ProbeMaxStages {
		return fmt.Errorf("stages must be 1..%d", ProbeMaxStages)
	}
	if p.StageMS < 0 || p.StageMS > 600000 {
		return fmt.Errorf("stage_ms must be 0..600000")
	}
	return nil
}

// ProbeDefinition is the probe task type.
func ProbeDefinition() Definition {
	stages := make([]Stage, ProbeMaxStages)
	for i := range stages {
		n := i + 1
		stages[i] = Stage{Name: fmt.Sprintf("step-%d", n), Run: func(ctx context.Context, r *Run) error {
			var p ProbeParams
			if err := r.Params(&p); err != nil {
				return Permanent(err)
			}
			if n > p.Stages {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(p.StageMS) * time.Millisecond):
			}
			var st struct {
				Done []string `json:"done"`
			}
			_ = r.State(&st)
			st.Done = append(st.Done, fmt.Sprintf("step-%d@%s", n, r.svc.cfg.WorkerID))
			r.Log(ctx, "probe step %d/%d ran on %s", n, p.Stages, r.svc.cfg.WorkerID)
			if err := r.SetState(st); err != nil {
				return err
			}
			return r.SetResult(st)
		}}
	}
	return Definition{Type: ProbeType, Stages: stages, MaxAttempts: 1}
}
