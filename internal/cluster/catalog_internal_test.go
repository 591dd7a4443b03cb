package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCatalogForgetsFailedKeys checks that a lookup that failed, keyed by
// a caller's input, leaves nothing behind, while a value once fetched is
// kept (and served when a later refresh fails).
func TestCatalogForgetsFailedKeys(t *testing.T) {
	c := newCatalog(time.Hour)
	ctx, now := context.Background(), time.Now()
	fail := func(context.Context) (any, error) { return nil, errors.New("no such region") }
	for i := range 100 {
		if _, err := c.get(ctx, "zones|Aliyun|"+strings.Repeat("r", i), false, now, fail); err == nil {
			t.Fatal("a failed fetch answered")
		}
	}
	if len(c.m) != 0 {
		t.Fatalf("%d failed keys kept", len(c.m))
	}
	if _, err := c.get(ctx, "regions|Aliyun", false, now, func(context.Context) (any, error) { return []string{"cn-qingdao"}, nil }); err != nil {
		t.Fatal(err)
	}
	v, err := c.get(ctx, "regions|Aliyun", false, now.Add(2*time.Hour), fail)
	if err != nil || len(c.m) != 1 || v.([]string)[0] != "cn-qingdao" {
		t.Fatalf("kept value: %v %v (%d keys)", v, err, len(c.m))
	}
}
