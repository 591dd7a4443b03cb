package store

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Collectors report the connection pools that really hold the store's
// connections. On PostgreSQL that is the pgx pool: database/sql only wraps
// it and would show the wrapper's idle handles, not the server connections.
// On SQLite both database/sql pools (db_name "skyfold" for queries,
// "skyfold_bulk" for the sync's writer).
func (s *Store) Collectors() []prometheus.Collector {
	if s.PGPool != nil {
		return []prometheus.Collector{&pgPoolCollector{pool: s.PGPool}}
	}
	out := []prometheus.Collector{collectors.NewDBStatsCollector(s.SQL, "skyfold")}
	if s.Bulk != nil && s.Bulk.DB != s.SQL {
		out = append(out, collectors.NewDBStatsCollector(s.Bulk.DB, "skyfold_bulk"))
	}
	return out
}

var (
	pgTotal     = prometheus.NewDesc("skyfold_db_pool_connections", "Connections in the PostgreSQL pool by state (acquired, idle, constructing).", []string{"state"}, nil)
	pgMax       = prometheus.NewDesc("skyfold_db_pool_max_connections", "The PostgreSQL pool's maximum size.", nil, nil)
	pgAcquires  = prometheus.NewDesc("skyfold_db_pool_acquires_total", "Connections acquired from the PostgreSQL pool.", nil, nil)
	pgEmpty     = prometheus.NewDesc("skyfold_db_pool_empty_acquires_total", "Acquires that waited because the PostgreSQL pool had no idle connection.", nil, nil)
	pgCancelled = prometheus.NewDesc("skyfold_db_pool_canceled_acquires_total", "Acquires cancelled by their context while waiting.", nil, nil)
	pgWait      = prometheus.NewDesc("skyfold_db_pool_acquire_seconds_total", "Time spent acquiring connections from the PostgreSQL pool.", nil, nil)
	pgNew       = prometheus.NewDesc("skyfold_db_pool_new_connections_total", "Connections the PostgreSQL pool opened.", nil, nil)
)

type pgPoolCollector struct{ pool *pgxpool.Pool }

func (c *pgPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pgTotal, pgMax, pgAcquires, pgEmpty, pgCancelled, pgWait, pgNew} {
		ch <- d
	}
}

func (c *pgPoolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(pgTotal, prometheus.GaugeValue, float64(st.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(pgTotal, prometheus.GaugeValue, float64(st.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(pgTotal, prometheus.GaugeValue, float64(st.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(pgMax, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(pgAcquires, prometheus.CounterValue, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(pgEmpty, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(pgCancelled, prometheus.CounterValue, float64(st.CanceledAcquireCount()))
	ch <- prometheus.MustNewConstMetric(pgWait, prometheus.CounterValue, st.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(pgNew, prometheus.CounterValue, float64(st.NewConnsCount()))
}
