package aliyun

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	gojson "github.com/goccy/go-json"

	"github.com/skyfold/skyfold/internal/cloud"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

// BenchmarkDecodeInstancesPage decodes one simulated DescribeInstances
// page of 100 instances into the SDK's response model and into the plain
// model the driver's listing uses.
func BenchmarkDecodeInstancesPage(b *testing.B) {
	const ak, secret = "LTAI5tEXAMPLEBENCH00001", "example-bench-secret"
	sim, err := aliyunsim.New(aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: ak, AccessKeySecret: secret,
		AccountID: "1423762516458388"}}, Seed: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer func() { srv.Close(); _ = sim.Close() }()
	if err := sim.Populate(ak, aliyunsim.PopulateOptions{Instances: 200, Regions: []string{"cn-hangzhou"}}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := Open(ctx, cloud.AccountConfig{AccessKeyID: ak, AccessKeySecret: secret, Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	rc, _ := p.Region("cn-hangzhou")
	r := rc.(*Region)
	c, err := r.ecs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var body json.RawMessage
	req := &ecs.DescribeInstancesRequest{RegionId: dara.String("cn-hangzhou"), PageSize: dara.Int32(100)}
	if err := p.callModel(ctx, &c.Client, "ecs.DescribeInstances", "DescribeInstances", "2014-05-26", req, &body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.Run("sdk-model", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out ecs.DescribeInstancesResponseBody
			if err := gojson.Unmarshal(body, &out); err != nil || len(out.Instances.Instance) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("listing-model", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out ecsInstancePage
			if err := gojson.Unmarshal(body, &out); err != nil || len(out.Instances.Instance) != 100 {
				b.Fatal(err)
			}
		}
	})
}
