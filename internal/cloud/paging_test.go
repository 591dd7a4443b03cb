package cloud_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/skyfold/skyfold/internal/cloud"
)

// numbered lists items 0..total-1 in pages of size, paging by number; with
// rest it names every later page on the first one, as a cloud that reports
// a total does.
func numbered(total, size int, rest bool, calls *atomic.Int64, fail int) cloud.ListFunc[int] {
	return func(ctx context.Context, p cloud.PageRequest) (cloud.Page[int], error) {
		calls.Add(1)
		num := 1
		if p.Token != "" {
			num, _ = strconv.Atoi(p.Token)
		}
		if num == fail {
			return cloud.Page[int]{}, errors.New("page " + p.Token + " failed")
		}
		out := cloud.Page[int]{Total: total}
		for i := (num - 1) * size; i < min(num*size, total); i++ {
			out.Items = append(out.Items, i)
		}
		last := (total + size - 1) / size
		if num < last {
			out.NextToken = strconv.Itoa(num + 1)
		}
		if rest && num == 1 {
			for n := 2; n <= last; n++ {
				out.Rest = append(out.Rest, strconv.Itoa(n))
			}
		}
		return out, nil
	}
}

func collectPages(t *testing.T, list cloud.ListFunc[int], parallel int) ([]int, error) {
	t.Helper()
	var mu sync.Mutex
	var got []int
	err := cloud.ForEachPage(context.Background(), 10, parallel, list, func(p cloud.Page[int]) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p.Items...)
		return nil
	})
	slices.Sort(got)
	return got, err
}

func TestForEachPageEveryItemOnce(t *testing.T) {
	want := make([]int, 95)
	for i := range want {
		want[i] = i
	}
	for _, tc := range []struct {
		name     string
		rest     bool
		parallel int
	}{{"follow NextToken", false, 4}, {"parallel over Rest", true, 4}, {"Rest but parallel 1", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			got, err := collectPages(t, numbered(95, 10, tc.rest, &calls, 0), tc.parallel)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d items %v…, want 0..94 once each", len(got), got[:min(len(got), 12)])
			}
			if calls.Load() != 10 {
				t.Fatalf("%d calls, want 10", calls.Load())
			}
		})
	}
}

func TestForEachPageErrors(t *testing.T) {
	var calls atomic.Int64
	if _, err := collectPages(t, numbered(95, 10, true, &calls, 7), 4); err == nil || err.Error() != "page 7 failed" {
		t.Fatalf("a failed page: got %v", err)
	}
	calls.Store(0)
	if _, err := collectPages(t, numbered(95, 10, false, &calls, 3), 4); err == nil {
		t.Fatal("a failed page while following NextToken: no error")
	}
	if calls.Load() != 3 {
		t.Fatalf("following NextToken went on after a failure: %d calls", calls.Load())
	}
	calls.Store(0)
	stop := errors.New("stop")
	n := 0
	var mu sync.Mutex
	err := cloud.ForEachPage(context.Background(), 10, 2, numbered(1000, 10, true, &calls, 0), func(p cloud.Page[int]) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("fn's error: got %v", err)
	}
	if c := calls.Load(); c > 10 {
		t.Fatalf("fetching went on after fn failed: %d of 100 pages fetched", c)
	}
}

func TestForEachPageStopsOnARepeatedToken(t *testing.T) {
	var calls atomic.Int64
	loop := func(ctx context.Context, p cloud.PageRequest) (cloud.Page[int], error) {
		calls.Add(1)
		return cloud.Page[int]{Items: []int{1}, NextToken: "again", Total: -1}, nil
	}
	if err := cloud.ForEachPage(context.Background(), 10, 4, loop, func(cloud.Page[int]) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want 2 (the repeated token ends the listing)", calls.Load())
	}
}

func TestForEachPageCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	list := numbered(1000, 10, true, &calls, 0)
	err := cloud.ForEachPage(ctx, 10, 4, list, func(p cloud.Page[int]) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
