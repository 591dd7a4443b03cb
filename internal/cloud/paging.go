package cloud

import (
	"context"
	"iter"
	"sync"
)

// ListFunc fetches one page of a listing.
type ListFunc[T any] func(ctx context.Context, page PageRequest) (Page[T], error)

// All iterates over every item of a paged listing, fetching pages of size
// as it goes. It stops at the first error, which it yields with a zero item.
// A driver that returns the same NextToken twice is treated as finished, so
// a buggy cloud cannot loop forever.
func All[T any](ctx context.Context, size int, list ListFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		req := PageRequest{Size: size}
		seen := map[string]bool{}
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			page, err := list(ctx, req)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range page.Items {
				if !yield(it, nil) {
					return
				}
			}
			if page.NextToken == "" || seen[page.NextToken] {
				return
			}
			seen[page.NextToken] = true
			req.Token = page.NextToken
		}
	}
}

// Collect gathers every item of a paged listing into a slice.
func Collect[T any](ctx context.Context, size int, list ListFunc[T]) ([]T, error) {
	var out []T
	for it, err := range All(ctx, size, list) {
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// ForEachPage calls fn with every page of a listing. When the first page
// names the tokens of all the others (Page.Rest), up to parallel of them are
// fetched at once and fn runs concurrently, in no set order; otherwise the
// pages follow NextToken one by one. It returns the first error from a fetch
// or from fn, once every fetch in flight has stopped.
//
// Listing 100,000 instances is 1,000 pages of 100 on most clouds; at a real
// cloud's 100–300 ms a call that is minutes one page at a time, and the
// account's pacing (WithRetry) still bounds the rate.
func ForEachPage[T any](ctx context.Context, size, parallel int, list ListFunc[T], fn func(Page[T]) error) error {
	first, err := list(ctx, PageRequest{Size: size})
	if err != nil {
		return err
	}
	if err := fn(first); err != nil {
		return err
	}
	if len(first.Rest) > 0 && parallel > 1 {
		return forEachToken(ctx, size, parallel, first.Rest, list, fn)
	}
	seen := map[string]bool{}
	next := first.NextToken
	for next != "" && !seen[next] {
		if err := ctx.Err(); err != nil {
			return err
		}
		seen[next] = true
		page, err := list(ctx, PageRequest{Token: next, Size: size})
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		next = page.NextToken
	}
	return nil
}

// forEachToken fetches the pages the tokens name, parallel at a time.
func forEachToken[T any](ctx context.Context, size, parallel int, tokens []string, list ListFunc[T], fn func(Page[T]) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	work := make(chan string)
	for range min(parallel, len(tokens)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tok := range work {
				page, err := list(ctx, PageRequest{Token: tok, Size: size})
				if err == nil {
					err = fn(page)
				}
				if err != nil {
					fail(err)
				}
			}
		}()
	}
feed:
	for _, tok := range tokens {
		select {
		case work <- tok:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
