package aliyunsim_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

func benchServer(b *testing.B, instances int) *aliyunsim.Server {
	b.Helper()
	srv, err := aliyunsim.New(aliyunsim.Config{
		Accounts: []aliyunsim.Account{{AccessKeyID: testAK, AccessKeySecret: testSecret, AccountID: testAccount}},
		Seed:     1, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	if instances > 0 {
		if err := srv.Populate(testAK, aliyunsim.PopulateOptions{Instances: instances, Regions: []string{region}}); err != nil {
			b.Fatal(err)
		}
	}
	return srv
}

// BenchmarkDescribeInstancesPage measures signed DescribeInstances calls of
// 100 instances each through the handler, over an account holding 100,000.
func BenchmarkDescribeInstancesPage(b *testing.B) {
	srv := benchServer(b, 100000)
	h := srv.Handler()
	for _, mode := range []string{"PageNumber", "NextToken", "TagFilter"} {
		b.Run(mode, func(b *testing.B) {
			tok := ""
			b.ReportAllocs()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				p := map[string]string{"RegionId": region}
				switch mode {
				case "PageNumber":
					p["PageSize"], p["PageNumber"] = "100", strconv.Itoa(1+i%1000)
				case "NextToken":
					p["MaxResults"] = "100"
					if tok != "" {
						p["NextToken"] = tok
					}
				case "TagFilter":
					p["PageSize"], p["PageNumber"], p["Tag.1.Key"], p["Tag.1.Value"] = "100", strconv.Itoa(1+i%50), "env", "prod"
				}
				req := acs3Request("http://127.0.0.1:8701", testAK, testSecret, "DescribeInstances", "2014-05-26", p)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
				if mode == "NextToken" {
					tok = nextToken(rec.Body.Bytes())
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
		})
	}
}

// nextToken pulls "NextToken" out of a response without a full decode.
func nextToken(body []byte) string {
	const key = `"NextToken":"`
	s := string(body)
	for i := 0; i+len(key) <= len(s); i++ {
		if s[i:i+len(key)] == key {
			rest := s[i+len(key):]
			for j := 0; j < len(rest); j++ {
				if rest[j] == '"' {
					return rest[:j]
				}
			}
		}
	}
	return ""
}

// BenchmarkPopulate100k measures building a 100,000-instance account.
func BenchmarkPopulate100k(b *testing.B) {
	for b.Loop() {
		srv, err := aliyunsim.New(aliyunsim.Config{
			Accounts: []aliyunsim.Account{{AccessKeyID: testAK, AccessKeySecret: testSecret, AccountID: testAccount}},
			Seed:     1, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Populate(testAK, aliyunsim.PopulateOptions{Instances: 100000, IdleShare: 0.2, Buckets: 20, DBs: 20, Caches: 20, Kafkas: 5}); err != nil {
			b.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
