package starvcenter

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// The driver's page tokens are decimal offsets into the listing; the page
// size defaults to the document's maximum of 30 rows, and larger pages are
// filled from several StarVCenter pages.
const (
	defaultPageSize = maxPage
	maxPageSize     = 500
	maxPages        = 100000 // a guard against a server that pages forever
)

// pageWindow reads a page request: the offset its token holds and the size.
func pageWindow(op string, pr cloud.PageRequest) (offset, size int, err error) {
	size = pr.Size
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	if t := strings.TrimSpace(pr.Token); t != "" {
		n, perr := strconv.Atoi(t)
		if perr != nil || n < 0 {
			return 0, 0, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "bad page token %q", pr.Token)
		}
		offset = n
	}
	return offset, size, nil
}

// pageOf cuts one page out of a complete, client-side listing.
func pageOf[T any](items []T, offset, size int) cloud.Page[T] {
	pg := cloud.Page[T]{Items: []T{}, Total: len(items)}
	if offset >= len(items) {
		return pg
	}
	end := min(offset+size, len(items))
	pg.Items = append(pg.Items, items[offset:end]...)
	if end < len(items) {
		pg.NextToken = strconv.Itoa(end)
	}
	return pg
}

// withPage copies prm and adds the paging fields (1-based page number).
func withPage(prm params, page, size int) params {
	out := make(params, len(prm)+2)
	for k, v := range prm {
		out[k] = v
	}
	out["page.startnum"] = strconv.Itoa(page)
	out["page.everypagenum"] = strconv.Itoa(size)
	return out
}

// searchAll reads every row of a paged search endpoint, page by page.
func (p *Provider) searchAll(ctx context.Context, op, path string, prm params) ([]record, error) {
	var out []record
	for page := 1; page <= maxPages; page++ {
		env, err := p.t.call(ctx, op, http.MethodPost, path, withPage(prm, page, maxPage))
		if err != nil {
			return nil, err
		}
		rows, err := decodeRecords(env.Data)
		if err != nil {
			return nil, malformed(op, err)
		}
		out = append(out, rows...)
		switch {
		case len(rows) == 0:
			return out, nil
		case len(rows) > maxPage: // the server ignored paging and sent everything
			return out, nil
		case env.DataCount >= 0:
			if len(out) >= env.DataCount {
				return out, nil
			}
		case len(rows) < maxPage:
			return out, nil
		}
	}
	return out, nil
}

// searchWindow reads rows [offset, offset+size) of a paged search and the
// total the server reports (-1 when it reports none).
func (p *Provider) searchWindow(ctx context.Context, op, path string, prm params, offset, size int) ([]record, int, error) {
	ps := maxPage
	if size <= maxPage && offset%size == 0 {
		ps = size
	}
	page, skip := offset/ps+1, offset%ps
	total := -1
	var out []record
	for n := 0; len(out) < size && n < maxPages; n++ {
		env, err := p.t.call(ctx, op, http.MethodPost, path, withPage(prm, page, ps))
		if err != nil {
			return nil, 0, err
		}
		rows, err := decodeRecords(env.Data)
		if err != nil {
			return nil, 0, malformed(op, err)
		}
		total = env.DataCount
		if len(rows) > ps { // paging ignored: cut the window out of everything
			total = len(rows)
			lo := min(offset, len(rows))
			return rows[lo:min(lo+size, len(rows))], total, nil
		}
		if skip < len(rows) {
			out = append(out, rows[skip:]...)
		}
		skip = 0
		if len(rows) < ps || (total >= 0 && (page*ps) >= total) {
			break
		}
		page++
	}
	if len(out) > size {
		out = out[:size]
	}
	return out, total, nil
}

// nextToken is the token after a window of a server-side listing.
func nextToken(offset, got, size, total int) string {
	end := offset + got
	if got < size || (total >= 0 && end >= total) || got == 0 {
		return ""
	}
	return strconv.Itoa(end)
}
