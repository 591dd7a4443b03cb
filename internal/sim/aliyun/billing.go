package aliyunsim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BSS OpenAPI: balances and bills. Bills are generated on demand from what
// each resource did: pay-as-you-go resources are charged their hourly list
// price for the hours they ran (UsageSpan), subscriptions when ordered. Every
// line carries the list price (PretaxGrossAmount), the account's invoice
// discount, coupons and what was paid (PretaxAmount = gross − discount −
// coupons). Bill days are Beijing days, as Aliyun's are.

var cst = time.FixedZone("CST", 8*3600)

func stsGetCallerIdentity(c *call) (any, *apiError) {
	a := c.acct
	return obj{"RequestId": c.id, "AccountId": a.ID, "UserId": a.ID, "PrincipalId": a.ID,
		"Arn": "acs:ram::" + a.ID + ":root", "IdentityType": "Account", "RoleId": ""}, nil
}

func bssOK(c *call, data obj) obj {
	return obj{"RequestId": c.id, "Code": "Success", "Message": "Successful!", "Success": true, "Data": data}
}

func bssQueryAccountBalance(c *call) (any, *apiError) {
	avail := fmtMoney(c.acct.available(c.now))
	return obj{"RequestId": c.id, "Code": "200", "Message": "success", "Success": true, "Data": obj{
		"AvailableAmount": avail, "AvailableCashAmount": avail, "CreditAmount": "0.00",
		"MybankCreditAmount": "0.00", "Currency": "CNY", "QuotaLimit": "0.00",
	}}, nil
}

// billSource is anything that shows up on a bill.
type billSource struct {
	product, productName string
	id, name             string
	region, zone         string
	spec, config         string
	internetIP, intranet string
	tags                 []Tag
	spans                []UsageSpan
	orders               []Order
	perDay               int64 // flat daily list price (OSS storage), micro-CNY
	since                time.Time
}

// billLine is one bill item.
type billLine struct {
	src          *billSource
	subscription bool
	date         string // BillingDate (daily) or ""
	gross        int64  // cents
	discount     int64
	coupon       int64
	hours        float64
	unitPrice    int64 // micro-CNY per hour, for ListPrice
	orderID      string
}

func toCents(micro int64) int64 { return (micro + 5000) / 10000 }

// usage returns the list charge (micro) and hours of spans within [from, to).
func usage(spans []UsageSpan, from, to, now time.Time) (int64, float64, int64) {
	var micro float64
	var hours float64
	var price int64
	if to.After(now) {
		to = now
	}
	for _, s := range spans {
		end := s.End
		if end.IsZero() || end.After(to) {
			end = to
		}
		start := s.Start
		if start.Before(from) {
			start = from
		}
		if !end.After(start) {
			continue
		}
		h := end.Sub(start).Hours()
		hours += h
		micro += h * float64(s.HourlyMicro)
		if s.HourlyMicro > 0 {
			price = s.HourlyMicro
		}
	}
	return int64(micro + 0.5), hours, price
}

// linesFor appends the bill lines of one source over [from, to).
func (a *account) linesFor(out []billLine, src *billSource, from, to, now time.Time, date string) []billLine {
	micro, hours, price := usage(src.spans, from, to, now)
	if src.perDay > 0 && src.since.Before(to) {
		start := from
		if src.since.After(start) {
			start = src.since
		}
		end := to
		if end.After(now) {
			end = now
		}
		if end.After(start) {
			h := end.Sub(start).Hours()
			micro += int64(float64(src.perDay) * h / 24)
			hours += h
			price = src.perDay / 24
		}
	}
	if g := toCents(micro); g > 0 {
		out = append(out, billLine{src: src, date: date, gross: g, discount: int64(float64(g)*a.Discount + 0.5), hours: hours, unitPrice: price})
	}
	for _, o := range src.orders {
		if o.At.Before(from) || !o.At.Before(to) || o.At.After(now) {
			continue
		}
		out = append(out, billLine{src: src, subscription: true, date: date, gross: toCents(o.Gross),
			discount: toCents(o.Discount), coupon: toCents(o.Coupon), orderID: o.ID})
	}
	return out
}

// eachSource calls fn for every billable thing of the account, in a stable
// order, until fn returns false. One billSource value is reused.
func (a *account) eachSource(now time.Time, fn func(*billSource) bool) {
	var src billSource
	instance := func(in *Instance) bool {
		t := instanceTypeByID[in.Type]
		cfg := ""
		if t != nil {
			cfg = "CPU:" + strconv.Itoa(t.CPU) + ";内存:" + strconv.Itoa(fmtMiB(t.MemoryGiB)) + "MB"
		}
		src = billSource{product: "ecs", productName: "云服务器 ECS", id: in.ID, name: in.Name, region: in.Region,
			zone: in.Zone, spec: in.Type, config: cfg, internetIP: in.PublicIP, intranet: in.PrivateIP, tags: in.Tags,
			spans: in.Spans, orders: in.Orders}
		return fn(&src)
	}
	eip := func(e *EIP) bool {
		src = billSource{product: "eip", productName: "弹性公网IP", id: e.ID, name: e.Name, region: e.Region,
			spec: strconv.Itoa(e.Bandwidth) + "Mbps", internetIP: e.IP, tags: e.Tags, spans: e.Spans}
		return fn(&src)
	}
	for _, r := range regions {
		rs := a.regions[r.ID]
		if rs == nil {
			continue
		}
		for _, in := range rs.Instances.order {
			if !instance(in) {
				return
			}
		}
		for _, e := range rs.EIPs.order {
			if !eip(e) {
				return
			}
		}
		for _, d := range rs.RDS.order {
			src = billSource{product: "rds", productName: "云数据库RDS版", id: d.ID, name: d.Description, region: d.Region,
				zone: d.Zone, spec: d.Class, config: d.Engine + " " + d.Version, tags: d.Tags}
			src.spans, src.orders = dbCharges(d.Created, d.HourlyMicro, d.PayType == "Prepaid", d.ID, now)
			if !fn(&src) {
				return
			}
		}
		for _, k := range rs.Redis.order {
			src = billSource{product: "redisa", productName: "云数据库 Redis 版", id: k.ID, name: k.Name, region: k.Region,
				zone: k.Zone, spec: k.Class, intranet: k.PrivateIP, tags: k.Tags}
			src.spans, src.orders = dbCharges(k.Created, k.HourlyMicro, k.ChargeType == prePaid, k.ID, now)
			if !fn(&src) {
				return
			}
		}
		for _, k := range rs.Kafka.order {
			src = billSource{product: "alikafka", productName: "消息队列 Kafka 版", id: k.ID, name: k.Name, region: k.Region,
				zone: k.Zone, spec: k.SpecType, tags: k.Tags}
			src.spans, src.orders = dbCharges(k.Created, k.HourlyMicro, k.PaidType == 0, k.ID, now)
			if !fn(&src) {
				return
			}
		}
	}
	names := make([]string, 0, len(a.buckets))
	for n := range a.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := a.buckets[n]
		src = billSource{product: "oss", productName: "对象存储 OSS", id: b.ID, name: b.ID, region: b.Region,
			spec: b.StorageClass, tags: b.Tags, perDay: ossDailyMicro(b), since: b.Created}
		if !fn(&src) {
			return
		}
	}
	for _, in := range a.Retired {
		if !instance(in) {
			return
		}
	}
	for _, e := range a.RetiredEIPs {
		if !eip(e) {
			return
		}
	}
}

func ossDailyMicro(b *Bucket) int64 {
	return int64(float64(b.Bytes) / (1 << 30) * ossPerGiBMonthCNY / 30 * 1e6)
}

// dbCharges describes a database-like service: pay-as-you-go from creation,
// or a subscription renewed monthly on the creation day.
func dbCharges(created time.Time, hourly int64, prepaid bool, id string, now time.Time) ([]UsageSpan, []Order) {
	if !prepaid {
		return []UsageSpan{{Start: created, HourlyMicro: hourly}}, nil
	}
	var orders []Order
	monthly := int64(float64(hourly) * 730 * 0.6)
	for k := 0; k < 120; k++ {
		at := created.AddDate(0, k, 0)
		if at.After(now) {
			break
		}
		disc := int64(float64(monthly) * 0.1)
		orders = append(orders, Order{ID: "2" + strconv.FormatUint(hash64(id+strconv.Itoa(k))%1e14, 10), At: at, Months: 1, Gross: monthly, Discount: disc})
	}
	return nil, orders
}

// billQuery holds the validated common BSS filters.
type billQuery struct {
	cycle        string
	from, to     time.Time
	daily        bool
	date         string
	product      string
	subscription string // "", Subscription, PayAsYouGo
	hideZero     bool
	instanceID   string
}

func (c *call) parseBillQuery(allowInstance bool) (*billQuery, *apiError) {
	cycle, aerr := c.p.required("BillingCycle")
	if aerr != nil {
		return nil, aerr
	}
	start, err := time.ParseInLocation("2006-01", cycle, cst)
	if err != nil {
		return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified BillingCycle %q is not valid; use YYYY-MM.", cycle)
	}
	q := &billQuery{cycle: cycle, from: start, to: start.AddDate(0, 1, 0)}
	gran, aerr := c.p.oneOf("Granularity", "MONTHLY", "MONTHLY", "DAILY")
	if aerr != nil {
		return nil, aerr
	}
	if gran == "DAILY" {
		q.daily = true
		if d := c.p.str("BillingDate"); d != "" {
			day, err := time.ParseInLocation("2006-01-02", d, cst)
			if err != nil || day.Before(q.from) || !day.Before(q.to) {
				return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified BillingDate %q is not a day of the billing cycle.", d)
			}
			q.from, q.to, q.date = day, day.AddDate(0, 0, 1), d
		} else if !allowInstance {
			return nil, errMissing("BillingDate")
		}
	}
	q.product = strings.ToLower(c.p.str("ProductCode"))
	if q.subscription, aerr = c.p.oneOf("SubscriptionType", "", "Subscription", "PayAsYouGo"); aerr != nil {
		return nil, aerr
	}
	if q.hideZero, aerr = c.p.boolean("IsHideZeroCharge"); aerr != nil {
		return nil, aerr
	}
	if allowInstance {
		q.instanceID = c.p.str("InstanceID")
	}
	return q, nil
}

// eachLine streams the lines the query selects; daily queries without a
// BillingDate produce one line per day of the cycle.
func (a *account) eachLine(q *billQuery, now time.Time, fn func(billLine) bool) {
	var buf []billLine
	a.eachSource(now, func(src *billSource) bool {
		if q.product != "" && src.product != q.product {
			return true
		}
		if q.instanceID != "" && src.id != q.instanceID {
			return true
		}
		buf = buf[:0]
		if q.daily && q.date == "" {
			for d := q.from; d.Before(q.to) && d.Before(now); d = d.AddDate(0, 0, 1) {
				buf = a.linesFor(buf, src, d, d.AddDate(0, 0, 1), now, d.Format("2006-01-02"))
			}
		} else {
			buf = a.linesFor(buf, src, q.from, q.to, now, q.date)
		}
		for _, l := range buf {
			if q.subscription == "Subscription" && !l.subscription || q.subscription == "PayAsYouGo" && l.subscription {
				continue
			}
			if q.hideZero && l.gross-l.discount-l.coupon == 0 {
				continue
			}
			if !fn(l) {
				return false
			}
		}
		return true
	})
}

func tagString(tags []Tag) string {
	parts := make([]string, 0, len(tags))
	for _, t := range tags {
		parts = append(parts, "key:"+t.Key+" value:"+t.Value)
	}
	return strings.Join(parts, "; ")
}

func (c *call) lineOut(l billLine, withDate bool) obj {
	s := l.src
	sub, item := "PayAsYouGo", "PayAsYouGoBill"
	if l.subscription {
		sub, item = "Subscription", "SubscriptionOrder"
	}
	pretax := l.gross - l.discount - l.coupon
	region := s.region
	if r := regionByID[s.region]; r != nil {
		region = r.LocalName
	}
	o := obj{
		"InstanceID": s.id, "NickName": s.name, "ProductCode": s.product, "ProductName": s.productName, "ProductType": "",
		"ProductDetail": s.productName, "PipCode": s.product, "CommodityCode": s.product, "SubscriptionType": sub, "Item": item,
		"BillingType": "Normal", "BillingItem": "", "Region": region, "Zone": s.zone, "InstanceSpec": s.spec,
		"InstanceConfig": s.config, "InternetIP": s.internetIP, "IntranetIP": s.intranet, "Tag": tagString(s.tags),
		"ResourceGroup": "默认资源组", "CostUnit": "未分配", "Currency": "CNY", "OwnerID": c.acct.ID,
		"PretaxGrossAmount": float64(l.gross) / 100, "InvoiceDiscount": float64(l.discount) / 100,
		"DeductedByCoupons": float64(l.coupon) / 100, "DeductedByCashCoupons": 0, "DeductedByPrepaidCard": 0,
		"DeductedByResourcePackage": "0", "AdjustAmount": 0, "OutstandingAmount": 0,
		"PretaxAmount": float64(pretax) / 100, "PaymentAmount": float64(pretax) / 100, "CashAmount": float64(pretax) / 100,
		"ServicePeriod": strconv.FormatInt(int64(l.hours*3600+0.5), 10), "ServicePeriodUnit": "秒",
		"Usage": strconv.FormatFloat(l.hours, 'f', 2, 64), "UsageUnit": "小时",
		"ListPrice": strconv.FormatFloat(float64(l.unitPrice)/1e6, 'f', 4, 64), "ListPriceUnit": "元/小时",
	}
	if l.subscription {
		o["Usage"], o["UsageUnit"], o["ListPrice"], o["ListPriceUnit"] = "1", "月", strconv.FormatFloat(float64(l.gross)/100, 'f', 2, 64), "元/月"
	}
	if withDate {
		o["BillingDate"] = l.date
	}
	return o
}

func bssQueryInstanceBill(c *call) (any, *apiError) {
	q, aerr := c.parseBillQuery(false)
	if aerr != nil {
		return nil, aerr
	}
	page, aerr := c.p.integer("PageNum", 1, 1, 1<<30)
	if aerr != nil {
		return nil, aerr
	}
	size, aerr := c.p.integer("PageSize", 20, 1, 300)
	if aerr != nil {
		return nil, aerr
	}
	skip := (page - 1) * size
	items := []obj{}
	total := 0
	c.acct.eachLine(q, c.now, func(l billLine) bool {
		if total >= skip && len(items) < size {
			items = append(items, c.lineOut(l, q.daily))
		}
		total++
		return true
	})
	return bssOK(c, obj{"BillingCycle": q.cycle, "AccountID": c.acct.ID, "AccountName": c.acct.Name,
		"PageNum": page, "PageSize": size, "TotalCount": total, "Items": obj{"Item": items}}), nil
}

func bssDescribeInstanceBill(c *call) (any, *apiError) {
	q, aerr := c.parseBillQuery(true)
	if aerr != nil {
		return nil, aerr
	}
	maxResults, aerr := c.p.integer("MaxResults", 20, 1, 300)
	if aerr != nil {
		return nil, aerr
	}
	start := 0
	if tok := c.p.str("NextToken"); tok != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(tok, "bill-"), 36, 64)
		if err != nil || !strings.HasPrefix(tok, "bill-") || n < 0 {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified NextToken is not valid.")
		}
		start = int(n)
	}
	items := []obj{}
	total, next := 0, ""
	c.acct.eachLine(q, c.now, func(l billLine) bool {
		if total >= start {
			if len(items) < maxResults {
				o := c.lineOut(l, q.daily)
				o["BillingItemCode"], o["ItemName"], o["BizType"] = "", "", ""
				o["BillAccountID"], o["BillAccountName"] = c.acct.ID, c.acct.Name
				o["AfterDiscountAmount"] = o["PretaxAmount"]
				items = append(items, o)
			} else if next == "" {
				next = "bill-" + strconv.FormatInt(int64(total), 36)
			}
		}
		total++
		return true
	})
	return bssOK(c, obj{"BillingCycle": q.cycle, "AccountID": c.acct.ID, "AccountName": c.acct.Name,
		"MaxResults": maxResults, "NextToken": next, "TotalCount": total, "Items": items}), nil
}

func bssQueryBillOverview(c *call) (any, *apiError) {
	q, aerr := c.parseBillQuery(false)
	if aerr != nil {
		return nil, aerr
	}
	q.daily, q.date = false, ""
	type key struct {
		product string
		sub     bool
	}
	type agg struct {
		name                    string
		gross, discount, coupon int64
	}
	sums := map[key]*agg{}
	var keys []key
	c.acct.eachLine(q, c.now, func(l billLine) bool {
		k := key{l.src.product, l.subscription}
		s := sums[k]
		if s == nil {
			s = &agg{name: l.src.productName}
			sums[k] = s
			keys = append(keys, k)
		}
		s.gross += l.gross
		s.discount += l.discount
		s.coupon += l.coupon
		return true
	})
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].product != keys[j].product {
			return keys[i].product < keys[j].product
		}
		return !keys[i].sub && keys[j].sub
	})
	items := []obj{}
	for _, k := range keys {
		s := sums[k]
		sub, item := "PayAsYouGo", "PayAsYouGoBill"
		if k.sub {
			sub, item = "Subscription", "SubscriptionOrder"
		}
		pretax := float64(s.gross-s.discount-s.coupon) / 100
		items = append(items, obj{
			"ProductCode": k.product, "ProductName": s.name, "ProductType": "", "ProductDetail": s.name, "PipCode": k.product,
			"CommodityCode": k.product, "SubscriptionType": sub, "Item": item, "BizType": "", "Currency": "CNY",
			"PaymentCurrency": "CNY", "OwnerID": c.acct.ID, "BillAccountID": c.acct.ID, "BillAccountName": c.acct.Name,
			"PretaxGrossAmount": float64(s.gross) / 100, "InvoiceDiscount": float64(s.discount) / 100,
			"DeductedByCoupons": float64(s.coupon) / 100, "DeductedByCashCoupons": 0, "DeductedByPrepaidCard": 0,
			"AdjustAmount": 0, "OutstandingAmount": 0, "Tax": 0, "RoundDownDiscount": "0",
			"PretaxAmount": pretax, "PretaxAmountLocal": pretax, "AfterTaxAmount": pretax, "PaymentAmount": pretax, "CashAmount": pretax,
		})
	}
	return bssOK(c, obj{"BillingCycle": q.cycle, "AccountID": c.acct.ID, "AccountName": c.acct.Name, "Items": obj{"Item": items}}), nil
}
