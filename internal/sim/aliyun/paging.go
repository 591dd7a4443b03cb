package aliyunsim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// Aliyun pages lists two ways: PageNumber/PageSize (with TotalCount), and the
// newer NextToken/MaxResults cursor. Both walk a table's creation order, so the
// order is stable while resources come and go.

// pageOf returns page (1-based) of size items among those keep accepts, and
// how many it accepts in all. keep == nil accepts everything in O(page).
func pageOf[T entity](items []T, keep func(T) bool, page, size int) ([]T, int) {
	skip := (page - 1) * size
	if keep == nil {
		if skip >= len(items) {
			return nil, len(items)
		}
		end := min(skip+size, len(items))
		return items[skip:end], len(items)
	}
	var out []T
	total := 0
	for _, v := range items {
		if !keep(v) {
			continue
		}
		if total >= skip && len(out) < size {
			out = append(out, v)
		}
		total++
	}
	return out, total
}

// encodeToken and decodeToken turn the sequence number of the last item
// returned into an opaque cursor: 16 hex digits of the masked sequence and 8
// of a checksum, so a mangled token is refused rather than misread.
const tokenMask = 0x5a17c3e9d2b48f61

func encodeToken(seq int64) string {
	v := uint64(seq) ^ tokenMask
	return fmt.Sprintf("%016x%08x", v, uint32(hash64(strconv.FormatUint(v, 16))))
}

func decodeToken(tok string) (int64, *apiError) {
	bad := errf(http.StatusBadRequest, "InvalidParameter.NextToken", "The specified NextToken is not valid.")
	if len(tok) != 24 {
		return 0, bad
	}
	v, err := strconv.ParseUint(tok[:16], 16, 64)
	if err != nil {
		return 0, bad
	}
	sum, err := strconv.ParseUint(tok[16:], 16, 32)
	if err != nil || uint32(sum) != uint32(hash64(strconv.FormatUint(v, 16))) {
		return 0, bad
	}
	return int64(v ^ tokenMask), nil
}

// afterToken returns up to max accepted items after the cursor, the cursor for
// the next call ("" at the end) and the total number accepted.
func afterToken[T entity](items []T, keep func(T) bool, token string, max int) ([]T, string, int, *apiError) {
	start := 0
	if token != "" {
		seq, aerr := decodeToken(token)
		if aerr != nil {
			return nil, "", 0, aerr
		}
		start = sort.Search(len(items), func(i int) bool { return items[i].meta().Seq > seq })
	}
	var out []T
	next := ""
	if keep == nil {
		end := min(start+max, len(items))
		out = items[start:end]
		if end < len(items) && len(out) > 0 {
			next = encodeToken(out[len(out)-1].meta().Seq)
		}
		return out, next, len(items), nil
	}
	total := 0
	for i, v := range items {
		if !keep(v) {
			continue
		}
		total++
		if i < start {
			continue
		}
		if len(out) < max {
			out = append(out, v)
		} else if next == "" {
			next = encodeToken(out[len(out)-1].meta().Seq)
		}
	}
	return out, next, total, nil
}

// listing is the outcome of a paged list call in either style.
type listing[T entity] struct {
	items     []T
	total     int
	page      int
	size      int
	nextToken string
	tokenMode bool
}

// pageList reads the paging parameters (PageNumber/PageSize, or NextToken/
// MaxResults when either is present) and pages items.
func pageList[T entity](p params, items []T, keep func(T) bool, defSize, maxSize, maxResults int) (listing[T], *apiError) {
	var l listing[T]
	if p.str("NextToken") != "" || p.str("MaxResults") != "" {
		n, aerr := p.integer("MaxResults", defSize, 1, maxResults)
		if aerr != nil {
			return l, aerr
		}
		l.tokenMode = true
		l.size = n
		l.items, l.nextToken, l.total, aerr = afterToken(items, keep, p.str("NextToken"), n)
		return l, aerr
	}
	page, size, aerr := p.paging(defSize, maxSize)
	if aerr != nil {
		return l, aerr
	}
	l.page, l.size = page, size
	l.items, l.total = pageOf(items, keep, page, size)
	return l, nil
}

// envelope adds the paging fields Aliyun returns beside a list.
func (l listing[T]) envelope(o obj) obj {
	o["TotalCount"] = l.total
	o["PageSize"] = l.size
	if l.tokenMode {
		o["NextToken"] = l.nextToken
	} else {
		o["PageNumber"] = l.page
		o["NextToken"] = ""
	}
	return o
}

// merged concatenates the orders of several regions' tables for a list that
// spans regions.
func merged[T entity](tables []*table[T]) []T {
	if len(tables) == 1 {
		return tables[0].order
	}
	var out []T
	for _, t := range tables {
		out = append(out, t.order...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].meta().Seq < out[j].meta().Seq })
	return out
}
