package store_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestPoolMetricsSeeRealConnections: the pool metrics count the
// connections the store holds, not a wrapper's.
func TestPoolMetricsSeeRealConnections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		reg := prometheus.NewRegistry()
		reg.MustRegister(st.Collectors()...)
		for range 3 {
			c, err := st.DB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.PingContext(ctx); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
		}
		name, label, value := "go_sql_in_use_connections", "db_name", "skyfold"
		if st.Kind == "postgres" {
			name, label, value = "skyfold_db_pool_connections", "state", "acquired"
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == label && l.GetValue() == value {
						if got := m.GetGauge().GetValue(); got != 3 {
							t.Fatalf("%s{%s=%q} = %v while 3 connections are held", name, label, value, got)
						}
						return
					}
				}
			}
		}
		t.Fatalf("no %s{%s=%q} among the store's metrics", name, label, value)
	})
}
