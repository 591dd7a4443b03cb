package aliyunsim_test

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	bss "github.com/alibabacloud-go/bssopenapi-20171214/v6/client"
	cms "github.com/alibabacloud-go/cms-20190101/v9/client"
	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

type point struct {
	Timestamp  int64   `json:"timestamp"`
	InstanceID string  `json:"instanceId"`
	UserID     string  `json:"userId"`
	Average    float64 `json:"Average"`
	Maximum    float64 `json:"Maximum"`
	Minimum    float64 `json:"Minimum"`
}

func decodePoints(t *testing.T, s *string) []point {
	t.Helper()
	var pts []point
	if err := json.Unmarshal([]byte(dara.StringValue(s)), &pts); err != nil {
		t.Fatalf("Datapoints is not a JSON string of points: %v", err)
	}
	return pts
}

func TestMonitoringData(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.Populate(testAK, aliyunsim.PopulateOptions{Instances: 200, Regions: []string{region}, IdleShare: 0.3}); err != nil {
		t.Fatal(err)
	}
	idle := map[string]bool{}
	for _, raw := range adminItems(t, e, "instances") {
		idle[raw["ID"].(string)] = raw["Idle"].(bool)
	}
	c := e.cms()
	end := e.clock.Now().Add(-time.Hour)
	q := &cms.DescribeMetricListRequest{Namespace: dara.String("acs_ecs_dashboard"), MetricName: dara.String("CPUUtilization"),
		Period: dara.String("3600"), RegionId: dara.String(region), StartTime: dara.String(strconv.FormatInt(end.Add(-14*24*time.Hour).UnixMilli(), 10)),
		EndTime: dara.String(end.UTC().Format(time.RFC3339)), Length: dara.String("1440")}
	maxCPU := map[string]float64{}
	var total int
	for pages := 0; pages < 1000; pages++ {
		r := must(c.DescribeMetricList(q))
		if dara.StringValue(r.Body.Code) != "200" || !dara.BoolValue(r.Body.Success) || dara.StringValue(r.Body.Period) != "3600" {
			t.Fatalf("envelope: %+v", r.Body)
		}
		for _, p := range decodePoints(t, r.Body.Datapoints) {
			if p.Minimum > p.Average || p.Average > p.Maximum || p.UserID != testAccount {
				t.Fatalf("bad point %+v", p)
			}
			maxCPU[p.InstanceID] = math.Max(maxCPU[p.InstanceID], p.Maximum)
			total++
		}
		if dara.StringValue(r.Body.NextToken) == "" {
			break
		}
		q.NextToken = r.Body.NextToken
	}
	if total < 200*24 {
		t.Fatalf("only %d hourly points for 200 instances over 14 days", total)
	}
	idleSeen, busySeen := 0, 0
	for id, m := range maxCPU {
		if idle[id] {
			idleSeen++
			if m >= 5 {
				t.Errorf("idle instance %s peaks at %.2f%% CPU", id, m)
			}
		} else if m > 5 {
			busySeen++
		}
	}
	if idleSeen < 30 || busySeen < 100 {
		t.Errorf("idle %d, busy %d of %d instances", idleSeen, busySeen, len(maxCPU))
	}
	// The same query gives the same numbers: data is a function of id and time.
	q.NextToken = nil
	a := must(c.DescribeMetricList(q))
	b := must(c.DescribeMetricList(q))
	if dara.StringValue(a.Body.Datapoints) != dara.StringValue(b.Body.Datapoints) {
		t.Error("monitoring data is not deterministic")
	}
	for _, m := range []string{"memory_usedutilization", "InternetInRate", "InternetOutRate", "DiskReadIOPS", "DiskWriteIOPS", "DiskReadBPS", "DiskWriteBPS"} {
		r := must(c.DescribeMetricLast(&cms.DescribeMetricLastRequest{Namespace: dara.String("acs_ecs_dashboard"), MetricName: dara.String(m),
			RegionId: dara.String(region), Length: dara.String("1000")}))
		pts := decodePoints(t, r.Body.Datapoints)
		if len(pts) < 150 {
			t.Errorf("%s: %d latest points", m, len(pts))
		}
		for _, p := range pts {
			if idle[p.InstanceID] && (m == "InternetInRate" || m == "InternetOutRate") && p.Average >= 8000 {
				t.Errorf("idle %s has %s %.0f bit/s", p.InstanceID, m, p.Average)
			}
		}
	}
	_, err := c.DescribeMetricList(&cms.DescribeMetricListRequest{Namespace: dara.String("acs_ecs_dashboard"), MetricName: dara.String("Nope")})
	if code, _ := sdkErr(t, err); code != "InvalidParameter" {
		t.Errorf("unknown metric: %s", code)
	}
}

func TestBills(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.Populate(testAK, aliyunsim.PopulateOptions{Instances: 400, Regions: []string{region, "cn-beijing"}, Buckets: 3, DBs: 3, Caches: 3, Kafkas: 3}); err != nil {
		t.Fatal(err)
	}
	b := e.bss()
	day := e.clock.Now().Add(-24 * time.Hour).In(time.FixedZone("CST", 8*3600))
	cycle, date := day.Format("2006-01"), day.Format("2006-01-02")

	var lines []*bss.QueryInstanceBillResponseBodyDataItemsItem
	for page := int32(1); ; page++ {
		r := must(b.QueryInstanceBill(&bss.QueryInstanceBillRequest{BillingCycle: &cycle, Granularity: dara.String("DAILY"),
			BillingDate: &date, PageNum: &page, PageSize: dara.Int32(300)}))
		if !dara.BoolValue(r.Body.Success) || dara.StringValue(r.Body.Data.BillingCycle) != cycle {
			t.Fatalf("envelope: %+v", r.Body)
		}
		lines = append(lines, r.Body.Data.Items.Item...)
		if len(lines) >= int(*r.Body.Data.TotalCount) {
			break
		}
	}
	if len(lines) < 250 {
		t.Fatalf("%d bill lines for a day of 400 instances", len(lines))
	}
	var gross, pretax float64
	products := map[string]bool{}
	for _, l := range lines {
		products[*l.ProductCode] = true
		g, p := float64(*l.PretaxGrossAmount), float64(*l.PretaxAmount)
		disc := float64(*l.InvoiceDiscount) + float64(*l.DeductedByCoupons)
		if math.Abs(g-disc-p) > 0.011 || p > g || *l.BillingDate != date {
			t.Fatalf("inconsistent line %s: gross %.2f discount %.2f pretax %.2f date %s", *l.InstanceID, g, disc, p, *l.BillingDate)
		}
		gross += g
		pretax += p
	}
	for _, p := range []string{"ecs", "eip", "rds", "redisa", "alikafka", "oss"} {
		if !products[p] {
			t.Errorf("no %s lines on the bill", p)
		}
	}
	if pretax >= gross {
		t.Errorf("no discount at all: gross %.2f pretax %.2f", gross, pretax)
	}
	// A pay-as-you-go ECS line is the hourly list price × 24 hours.
	for _, l := range lines {
		if *l.ProductCode == "ecs" && *l.SubscriptionType == "PayAsYouGo" && *l.Usage == "24.00" {
			lp, _ := strconv.ParseFloat(*l.ListPrice, 64)
			if math.Abs(lp*24-float64(*l.PretaxGrossAmount)) > 0.02 {
				t.Errorf("line %s: list %.4f/h × 24 ≠ %.2f", *l.InstanceID, lp, *l.PretaxGrossAmount)
			}
			break
		}
	}

	// DescribeInstanceBill pages the same items with a cursor.
	var n int
	var tok *string
	for pages := 0; pages < 100; pages++ {
		r := must(b.DescribeInstanceBill(&bss.DescribeInstanceBillRequest{BillingCycle: &cycle, Granularity: dara.String("DAILY"),
			BillingDate: &date, MaxResults: dara.Int32(300), NextToken: tok}))
		n += len(r.Body.Data.Items)
		if dara.StringValue(r.Body.Data.NextToken) == "" {
			break
		}
		tok = r.Body.Data.NextToken
	}
	if n != len(lines) {
		t.Errorf("DescribeInstanceBill gave %d items, QueryInstanceBill %d", n, len(lines))
	}
	ov := must(b.QueryBillOverview(&bss.QueryBillOverviewRequest{BillingCycle: &cycle}))
	var ovGross float64
	for _, it := range ov.Body.Data.Items.Item {
		ovGross += float64(*it.PretaxGrossAmount)
	}
	if ovGross < gross {
		t.Errorf("month overview %.2f is less than one day %.2f", ovGross, gross)
	}
	_, err := b.QueryInstanceBill(&bss.QueryInstanceBillRequest{BillingCycle: dara.String("2026/11")})
	if code, _ := sdkErr(t, err); code != "InvalidParameter" {
		t.Errorf("bad cycle: %s", code)
	}
	_, err = b.QueryInstanceBill(&bss.QueryInstanceBillRequest{BillingCycle: &cycle, PageSize: dara.Int32(301)})
	if code, _ := sdkErr(t, err); code != "InvalidParameter" {
		t.Errorf("page size 301: %s", code)
	}
}

func TestBalanceFollowsUsage(t *testing.T) {
	e := newEnv(t, func(c *aliyunsim.Config) { c.Accounts[0].Balance = "1000.00" })
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	bal := func() float64 {
		v, _ := strconv.ParseFloat(*must(e.bss().QueryAccountBalance()).Body.Data.AvailableAmount, 64)
		return v
	}
	if b := bal(); b != 1000 {
		t.Fatalf("opening balance %.2f", b)
	}
	id := *must(e.ecs(false).RunInstances(runReq(vswID, sgID, 1))).Body.InstanceIdSets.InstanceIdSet[0]
	e.clock.Advance(10 * time.Hour)
	spent := 1000 - bal()
	if spent < 3 || spent > 10 {
		t.Fatalf("10 hours of ecs.g6.large cost %.2f", spent)
	}
	must(e.ecs(false).StopInstance(&ecs.StopInstanceRequest{InstanceId: &id}))
	b1 := bal()
	e.clock.Advance(10 * time.Hour)
	if b2 := bal(); b2 != b1 {
		t.Errorf("a stopped instance still costs: %.2f → %.2f", b1, b2)
	}
}
