package task

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
)

// ErrLeaseLost is the cause with which a held lease's context ends when
// another owner has taken the lease over (its holder stopped renewing it for
// longer than the lease).
var ErrLeaseLost = errors.New("lease lost")

// keyTable holds the leases of names that are not task rows. Task rows carry
// their lease in the same two columns, so one rule serves both.
const keyTable = "task_leases"

// Leases hands out leases shared by every process on the store: a lease is
// an owner and an expiry (Unix ms) on a row, taken only when nobody holds it
// or its holder's expiry has passed, renewed by its holder, and given back.
// The task engine holds its task rows this way; other work that must run in
// one process at a time holds a named lease with Take.
type Leases struct {
	db       bun.IDB
	owner    string
	lease    time.Duration
	now      func() time.Time
	shutdown <-chan struct{}
}

// NewLeases returns leases over db held by owner, each for lease (default
// 15s) past its last renewal. A task service has its own: see
// Service.Leases.
func NewLeases(db bun.IDB, owner string, lease time.Duration) *Leases {
	if lease <= 0 {
		lease = 15 * time.Second
	}
	return &Leases{db: db, owner: owner, lease: lease, now: func() time.Time { return time.Now().UTC() }}
}

// Lease is one held lease.
type Lease struct {
	ls    *Leases
	table string
	id    string
	owner string
}

// Key is the name (or task id) the lease is on.
func (l *Lease) Key() string { return l.id }

// Owner is what the row records as the holder.
func (l *Lease) Owner() string { return l.owner }

// Take takes the lease named key for this process. It fails with
// errs.Conflict while another holder's lease has not expired, this process's
// other holders included. Each Take is its own holder, so two holders in one
// process never renew or give back each other's lease.
func (ls *Leases) Take(ctx context.Context, key string) (*Lease, error) {
	if key == "" {
		return nil, errs.E(errs.Invalid, "a lease needs a name")
	}
	_, err := ls.db.NewRaw("INSERT INTO ? (id, lease_owner, lease_until) VALUES (?, '', 0) ON CONFLICT (id) DO NOTHING",
		bun.Ident(keyTable), key).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("take lease %s: %w", key, err)
	}
	l := &Lease{ls: ls, table: keyTable, id: key, owner: ls.owner + "/" + ids.New()[:8]}
	ok, err := l.take(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("take lease %s: %w", key, err)
	}
	if !ok {
		return nil, errs.E(errs.Conflict, "%s is held by another process", key)
	}
	return l, nil
}

// row is the lease on one row of table, held as this process.
func (ls *Leases) row(table, id string) *Lease {
	return &Lease{ls: ls, table: table, id: id, owner: ls.owner}
}

// take claims the row if it is free or its lease expired; with sets
// changes more of the row in the same statement and may add conditions.
func (l *Lease) take(ctx context.Context, with func(*bun.UpdateQuery) *bun.UpdateQuery) (bool, error) {
	now := l.ls.now()
	q := l.ls.db.NewUpdate().Table(l.table).
		Set("lease_owner = ?", l.owner).Set("lease_until = ?", ms(now.Add(l.ls.lease))).
		Where("id = ?", l.id).Where("(lease_owner = '' OR lease_until < ?)", ms(now))
	if with != nil {
		q = with(q)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Renew pushes the lease's expiry one lease past now. It returns
// ErrLeaseLost when another owner holds the row.
func (l *Lease) Renew(ctx context.Context) error {
	res, err := l.ls.db.NewUpdate().Table(l.table).
		Set("lease_until = ?", ms(l.ls.now().Add(l.ls.lease))).
		Where("id = ?", l.id).Where("lease_owner = ?", l.owner).Exec(ctx)
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", l.id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Release gives the lease back so the next Take succeeds at once; it does
// nothing when the lease was already lost.
func (l *Lease) Release(ctx context.Context) error {
	if _, err := l.release(ctx, nil); err != nil {
		return fmt.Errorf("release lease %s: %w", l.id, err)
	}
	return nil
}

// release frees the row if this holder has it; with sets more of the row.
func (l *Lease) release(ctx context.Context, with func(*bun.UpdateQuery) *bun.UpdateQuery) (bool, error) {
	q := l.ls.db.NewUpdate().Table(l.table).Set("lease_owner = ''").Set("lease_until = 0").
		Where("id = ?", l.id).Where("lease_owner = ?", l.owner)
	if with != nil {
		q = with(q)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Hold renews the lease every lease/3 until stop is called. The returned
// context ends with cause ErrLeaseLost when the lease is taken over, so the
// holder stops before it writes as a non-owner; on a task service's shutdown
// it ends too, and the holder should give the lease back. stop waits for
// the renewals to end; it does not give the lease back.
func (l *Lease) Hold(ctx context.Context) (held context.Context, stop func()) {
	held, cancel := context.WithCancelCause(ctx)
	done, stopped := make(chan struct{}), make(chan struct{})
	go l.keep(held, cancel, nil, done, stopped)
	return held, func() {
		close(done)
		<-stopped
		cancel(nil)
	}
}

// keep renews the lease every lease/3 until done closes, then closes
// stopped. It cancels the holder with ErrLeaseLost when the lease is gone,
// and with errShutdown when the process shuts down. check, when set, runs
// after each renewal; a cause it returns ends the hold.
func (l *Lease) keep(ctx context.Context, cancel context.CancelCauseFunc, check func(context.Context) error,
	done <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	tick := time.NewTicker(l.ls.lease / 3)
	defer tick.Stop()
	bg := context.WithoutCancel(ctx)
	for {
		select {
		case <-done:
			return
		case <-l.ls.shutdown:
			cancel(errShutdown)
			return
		case <-tick.C:
			err := l.Renew(bg)
			if errors.Is(err, ErrLeaseLost) {
				cancel(ErrLeaseLost)
				return
			}
			if err != nil {
				continue // transient store error: try again next tick
			}
			if check != nil {
				if cause := check(bg); cause != nil {
					cancel(cause)
					return
				}
			}
		}
	}
}
