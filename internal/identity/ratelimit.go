package identity

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit allows Requests per Per, in bursts of up to Requests.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

// Unlimited reports whether the limit is off.
func (l RateLimit) Unlimited() bool { return l.Requests <= 0 || l.Per <= 0 }

func (l RateLimit) String() string {
	if l.Unlimited() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", l.Requests, l.Per)
}

// ParseRateLimit reads "100/1m", "20/s", "5000/1h" or "off".
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return RateLimit{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return RateLimit{}, fmt.Errorf("%q is not N/duration such as 100/1m", s)
	}
	req, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || req < 1 || req > 1_000_000_000 {
		return RateLimit{}, fmt.Errorf("%q: request count must be a positive integer", s)
	}
	per = strings.TrimSpace(per)
	switch per {
	case "s", "m", "h":
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Millisecond || d > 24*time.Hour {
		return RateLimit{}, fmt.Errorf("%q: period must be a duration such as 1m", s)
	}
	return RateLimit{Requests: req, Per: d}, nil
}

// ParseRateLimits reads per-group overrides: "keystone=300/1m,cloudlens=100/1m".
func ParseRateLimits(s string) (map[string]RateLimit, error) {
	out := map[string]RateLimit{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q is not group=N/duration", part)
		}
		l, err := ParseRateLimit(v)
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", k, err)
		}
		out[strings.TrimSpace(k)] = l
	}
	return out, nil
}

// Limiter is a GCRA rate limiter keyed by route group and caller (a token or
// a client IP). It holds one timestamp per active key and forgets keys idle
// for longer than their period.
type Limiter struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[limKey]time.Time // theoretical arrival time
	lastSweep time.Time
}

type limKey struct {
	group, key string
}

// NewLimiter returns an empty limiter; now defaults to time.Now.
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, tat: map[limKey]time.Time{}}
}

// Allow takes one request from the budget of (group, key). When the budget is
// spent it returns false and how long until the next request is allowed.
func (l *Limiter) Allow(group, key string, lim RateLimit) (bool, time.Duration) {
	if lim.Unlimited() {
		return true, 0
	}
	now := l.now()
	interval := lim.Per / time.Duration(lim.Requests)
	k := limKey{group, key}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	tat, ok := l.tat[k]
	if !ok || tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	if wait := next.Sub(now) - lim.Per; wait > 0 {
		return false, wait
	}
	l.tat[k] = next
	return true, 0
}

// sweep forgets keys whose budget is full again.
func (l *Limiter) sweep(now time.Time) {
	for k, t := range l.tat {
		if t.Before(now) {
			delete(l.tat, k)
		}
	}
	l.lastSweep = now
}

// Len is the number of keys tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tat)
}
