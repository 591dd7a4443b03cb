package listing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

func TestParseFilter(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"name.contains(web)", "name contains [web]", true},
		{"id.in(a,b, c)", "id in [a b c]", true},
		{"id.in('a,b',c)", "id in [a,b c]", true},
		{"status.isnotnull()", "status isnotnull []", true},
		{"created_at.between(1,2)", "created_at between [1 2]", true},
		{"tags.key.equals(x)", "tags.key equals [x]", true},
		{"name.contains()", "", false},
		{"name.equals(a,b)", "", false},
		{"name.like(a)", "", false},
		{"name(a)", "", false},
		{"name.equals(a", "", false},
		{"id.in('a)", "", false},
	}
	for _, c := range cases {
		f, err := listing.ParseFilter(c.in)
		if c.ok != (err == nil) {
			t.Fatalf("%q: err %v", c.in, err)
		}
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%q: error code %v", c.in, errs.CodeOf(err))
			}
			continue
		}
		if got := fmt.Sprintf("%s %s %v", f.Field, f.Op, f.Values); got != c.want {
			t.Fatalf("%q: got %q want %q", c.in, got, c.want)
		}
	}
}

func TestPaging(t *testing.T) {
	p, err := listing.PageNumber("3", "20", 10, 50)
	if err != nil || p.Offset != 40 || p.Limit != 20 {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := listing.PageNumber("1", "51", 10, 50); err == nil {
		t.Fatal("page_size above max accepted")
	}
	p, _ = listing.PageNumber("", "", 10, 50)
	if p.Offset != 0 || p.Limit != 10 {
		t.Fatalf("defaults %+v", p)
	}
	if _, err := listing.OffsetLimit("-1", "", 20, 100, true); err == nil {
		t.Fatal("negative offset accepted")
	}
	o, _ := listing.ParseOrder([]string{"name,-created_at"}, "desc")
	if len(o) != 2 || !o[0].Desc || o[1].Field != "created_at" || !o[1].Desc {
		t.Fatalf("%+v", o)
	}
}

// TestApply runs filters, order and paging against real rows on each store.
func TestApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		for i, name := range []string{"web-1", "web-2", "db_1", "Web%3", "cache"} {
			tk := &task.Task{ID: fmt.Sprintf("t%d", i), Type: "x", ObjectName: name, Status: task.Success,
				Params: []byte("{}"), State: []byte("{}"), Result: []byte("{}"), CreatedAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now}
			if _, err := st.DB.NewInsert().Model(tk).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		run := func(filters ...string) []string {
			p := listing.Params{Order: []listing.Order{{Field: "object_name"}}}
			for _, f := range filters {
				pf, err := listing.ParseFilter(f)
				if err != nil {
					t.Fatal(err)
				}
				p.Filters = append(p.Filters, pf)
			}
			var rows []task.Task
			q, err := p.Apply(st.DB.NewSelect().Model(&rows), task.ListFields)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Scan(ctx); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range rows {
				names = append(names, r.ObjectName)
			}
			return names
		}
		if got := fmt.Sprint(run("object_name.contains(web)")); got != "[Web%3 web-1 web-2]" && got != "[web-1 web-2 Web%3]" {
			t.Fatalf("contains: %s", got)
		}
		if got := fmt.Sprint(run("object_name.contains(%)")); got != "[Web%3]" {
			t.Fatalf("contains %% must be literal: %s", got)
		}
		if got := fmt.Sprint(run("object_name.contains(_)")); got != "[db_1]" {
			t.Fatalf("contains _ must be literal: %s", got)
		}
		if got := fmt.Sprint(run("id.in(t0,t4)")); got != "[cache web-1]" {
			t.Fatalf("in: %s", got)
		}
		_, err := listing.Params{Filters: []listing.Filter{{Field: "secret", Op: "equals", Values: []string{"x"}}}}.
			Apply(st.DB.NewSelect().Model((*task.Task)(nil)), task.ListFields)
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown field: %v", err)
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"name.contains(web)", "id.in('a,b',c)", "x.isnull()", "a.b.c.between(1,2)", "((", ".()", "a.in('"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := listing.ParseFilter(s)
		if err != nil {
			return
		}
		if flt.Field == "" || listing.Ops[flt.Op] == 0 && len(flt.Values) != 0 {
			t.Fatalf("bad parse of %q: %+v", s, flt)
		}
	})
}

func FuzzParseOrder(f *testing.F) {
	f.Add("name,-created_at", "desc")
	f.Add("-", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, ob, order string) {
		o, err := listing.ParseOrder([]string{ob}, order)
		if err != nil {
			return
		}
		for _, x := range o {
			if x.Field == "" {
				t.Fatalf("empty sort field from %q", ob)
			}
		}
	})
}
