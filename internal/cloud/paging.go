package cloud

import (
	"context"
	"iter"
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
