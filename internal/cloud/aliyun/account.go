package aliyun

import (
	"context"
	"strconv"
	"strings"
	"time"

	bss "github.com/alibabacloud-go/bssopenapi-20171214/v6/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/skyfold/skyfold/internal/cloud"
)

func (p *Provider) stsClient() (*sts.Client, error) {
	return client(p, "sts", p.cfg.DefaultRegion, func(c *openapiutil.Config) (*sts.Client, error) {
		cl, err := sts.NewClient(c)
		if err == nil {
			cl.DisableSDKError = dara.Bool(true)
			disableSDKError(&cl.Client)
		}
		return cl, err
	})
}

// bssRegion picks the BSS endpoint region: the international site bills
// from Singapore, the China site from Hangzhou.
func (p *Provider) bssRegion() string {
	if strings.Contains(strings.ToLower(p.cfg.Environment), "international") {
		return "ap-southeast-1"
	}
	return "cn-hangzhou"
}

func (p *Provider) bssClient() (*bss.Client, error) {
	return client(p, "bss", p.bssRegion(), func(c *openapiutil.Config) (*bss.Client, error) {
		cl, err := bss.NewClient(c)
		if err == nil {
			cl.DisableSDKError = dara.Bool(true)
			disableSDKError(&cl.Client)
		}
		return cl, err
	})
}

func (p *Provider) ecsClient(region string) (*ecs.Client, error) {
	return client(p, "ecs", region, func(c *openapiutil.Config) (*ecs.Client, error) {
		cl, err := ecs.NewClient(c)
		if err == nil {
			cl.DisableSDKError = dara.Bool(true)
			disableSDKError(&cl.Client)
		}
		return cl, err
	})
}

// callerIdentity calls STS GetCallerIdentity, the cheapest authenticated call.
func (p *Provider) callerIdentity(ctx context.Context) (map[string]any, error) {
	c, err := p.stsClient()
	if err != nil {
		return nil, err
	}
	return p.callRPC(ctx, &c.Client, "sts.GetCallerIdentity", "GetCallerIdentity", "2015-04-01", map[string]any{})
}

// ValidateCredentials checks the access key with STS GetCallerIdentity.
func (p *Provider) ValidateCredentials(ctx context.Context) error {
	_, err := p.Account(ctx)
	return err
}

// Account returns the account id behind the access key (cached after the
// first successful call).
func (p *Provider) Account(ctx context.Context) (cloud.Account, error) {
	body, err := p.callerIdentity(ctx)
	if err != nil {
		return cloud.Account{}, err
	}
	id := toString(body["AccountId"])
	if id == "" {
		return cloud.Account{}, missingField("sts.GetCallerIdentity", "AccountId", toString(body["RequestId"]))
	}
	p.acctMu.Lock()
	p.accountID = id
	p.acctMu.Unlock()
	name := toString(body["Arn"])
	if name == "" {
		name = id
	}
	return cloud.Account{ID: id, Name: name, Environment: p.cfg.Environment}, nil
}

// ensureAccount learns the account id (once) before a region call: global
// ids embed it, so objects must never be built without it.
func (p *Provider) ensureAccount(ctx context.Context) error {
	if p.knownAccountID() != "" {
		return nil
	}
	_, err := p.Account(ctx)
	return err
}

// knownAccountID returns the account id learnt so far, or "".
func (p *Provider) knownAccountID() string {
	p.acctMu.Lock()
	defer p.acctMu.Unlock()
	return p.accountID
}

// SubAccounts returns the account itself: an Aliyun access key sees one
// billing account (resource-directory members are not walked).
func (p *Provider) SubAccounts(ctx context.Context) ([]cloud.SubAccount, error) {
	a, err := p.Account(ctx)
	if err != nil {
		return nil, err
	}
	return []cloud.SubAccount{{ID: a.ID, Name: a.Name, Status: "available"}}, nil
}

// Balance calls BSS QueryAccountBalance and keeps the amounts exact.
func (p *Provider) Balance(ctx context.Context) (cloud.Balance, error) {
	c, err := p.bssClient()
	if err != nil {
		return cloud.Balance{}, err
	}
	const op = "bss.QueryAccountBalance"
	body, err := p.callRPC(ctx, &c.Client, op, "QueryAccountBalance", "2017-12-14", map[string]any{})
	if err != nil {
		return cloud.Balance{}, err
	}
	if err := bssFailure(op, body); err != nil {
		return cloud.Balance{}, err
	}
	data, _ := body["Data"].(map[string]any)
	if data == nil {
		return cloud.Balance{}, missingField(op, "Data", toString(body["RequestId"]))
	}
	cur := toString(data["Currency"])
	if cur == "" {
		cur = "CNY"
	}
	b := cloud.Balance{Available: cloud.Money{Amount: decimal(data["AvailableAmount"]), Currency: cur}}
	if v, ok := data["CreditAmount"]; ok {
		b.Credit = &cloud.Money{Amount: decimal(v), Currency: cur}
	}
	return b, nil
}

// bssFailure turns BSS's in-body failure (HTTP 200 with Success false) into
// an error.
func bssFailure(op string, body map[string]any) error {
	s, ok := body["Success"]
	if !ok {
		return nil
	}
	if b, isBool := s.(bool); (isBool && b) || toString(s) == "true" {
		return nil
	}
	code := toString(body["Code"])
	e := &cloud.Error{Provider: providerName, Op: op, Code: code, Message: toString(body["Message"]),
		RequestID: toString(body["RequestId"])}
	e.Kind = classify(code, 0)
	if e.Kind == errDryRunPassed {
		e.Kind = cloud.ErrProvider
	}
	return e
}

// billTokenMonth separates the billing month from BSS's cursor in our page token.
const billTokenMonth = "|"

// Bills reads daily instance bills with BSS DescribeInstanceBill, month by
// month over the query's range. The page token carries the month and BSS's
// cursor.
func (p *Provider) Bills(ctx context.Context, q cloud.BillQuery, page cloud.PageRequest) (cloud.Page[cloud.BillLine], error) {
	const op = "bss.DescribeInstanceBill"
	out := cloud.Page[cloud.BillLine]{Total: -1}
	if q.Start.IsZero() || q.End.IsZero() || q.End.Before(q.Start) {
		return out, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "bill query needs Start <= End")
	}
	start := time.Date(q.Start.Year(), q.Start.Month(), q.Start.Day(), 0, 0, 0, 0, time.UTC)
	end := time.Date(q.End.Year(), q.End.Month(), q.End.Day(), 0, 0, 0, 0, time.UTC)
	month, cursor := start.Format("2006-01"), ""
	if page.Token != "" {
		m, c, ok := strings.Cut(page.Token, billTokenMonth)
		if _, err := time.Parse("2006-01", m); !ok || err != nil {
			return out, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "bad page token")
		}
		month, cursor = m, c
	}
	size := page.Size
	if size <= 0 || size > 300 {
		size = 300
	}
	c, err := p.bssClient()
	if err != nil {
		return out, err
	}
	query := map[string]any{
		"BillingCycle":     month,
		"Granularity":      "DAILY",
		"MaxResults":       strconv.Itoa(size),
		"IsHideZeroCharge": "false",
	}
	if cursor != "" {
		query["NextToken"] = cursor
	}
	body, err := p.callRPC(ctx, &c.Client, op, "DescribeInstanceBill", "2017-12-14", query)
	if err != nil {
		return out, err
	}
	if err := bssFailure(op, body); err != nil {
		return out, err
	}
	data, _ := body["Data"].(map[string]any)
	for _, it := range objects(field(data, "Items")) {
		line := billLine(it, month)
		if d, err := time.Parse("2006-01-02", line.Date); err == nil && (d.Before(start) || d.After(end)) {
			continue
		}
		out.Items = append(out.Items, line)
	}
	if next := toString(field(data, "NextToken")); next != "" {
		out.NextToken = month + billTokenMonth + next
	} else if m, err := time.Parse("2006-01", month); err == nil {
		if nm := m.AddDate(0, 1, 0); !nm.After(end) {
			out.NextToken = nm.Format("2006-01") + billTokenMonth
		}
	}
	return out, nil
}

// billLine maps one DescribeInstanceBill item.
func billLine(it map[string]any, month string) cloud.BillLine {
	discount := "0"
	// Aliyun splits the discount; the sum is what FOCUS calls the difference
	// between ListCost and BilledCost.
	if d, ok := sumDecimals(decimal(it["InvoiceDiscount"]), decimal(it["DeductedByCoupons"]),
		decimal(it["DeductedByCashCoupons"]), decimal(it["DeductedByPrepaidCard"])); ok {
		discount = d
	}
	charge := cloud.PostPaid
	switch strings.ToLower(toString(it["SubscriptionType"])) {
	case "subscription", "prepaid":
		charge = cloud.PrePaid
	}
	cur := toString(it["Currency"])
	if cur == "" {
		cur = "CNY"
	}
	date := toString(it["BillingDate"])
	if date == "" {
		date = month + "-01"
	}
	return cloud.BillLine{
		Date:         date,
		BillingCycle: month,
		ResourceID:   toString(it["InstanceID"]),
		ResourceName: toString(it["NickName"]),
		Product:      strings.ToLower(toString(it["ProductCode"])),
		ProductName:  toString(it["ProductName"]),
		RegionID:     firstNonEmpty(toString(it["RegionNo"]), toString(it["Region"])),
		ChargeType:   charge,
		SubAccountID: firstNonEmpty(toString(it["BillAccountID"]), toString(it["OwnerID"])),
		ListAmount:   decimal(it["PretaxGrossAmount"]),
		Discount:     discount,
		PaidAmount:   decimal(it["PretaxAmount"]),
		Currency:     cur,
		Tags:         parseBillTags(toString(it["Tag"])),
	}
}

// parseBillTags reads BSS's tag text: "key:k1 value:v1; key:k2 value:v2".
func parseBillTags(s string) map[string]string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	tags := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		k, rest, ok := strings.Cut(part, "key:")
		if !ok || strings.TrimSpace(k) != "" {
			continue
		}
		key, val, _ := strings.Cut(rest, " value:")
		key = strings.TrimSpace(key)
		if key != "" {
			tags[key] = strings.TrimSpace(val)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// Regions lists regions with ECS DescribeRegions, in Chinese local names
// (华北2（北京）) as Cloudpods shows them.
func (p *Provider) Regions(ctx context.Context) ([]cloud.Region, error) {
	c, err := p.ecsClient(p.cfg.DefaultRegion)
	if err != nil {
		return nil, err
	}
	resp, err := invoke(ctx, "ecs.DescribeRegions", func(ctx context.Context) (*ecs.DescribeRegionsResponse, error) {
		return c.DescribeRegionsWithContext(ctx, &ecs.DescribeRegionsRequest{AcceptLanguage: dara.String("zh-CN")}, p.runtime())
	})
	if err != nil {
		return nil, err
	}
	var out []cloud.Region
	if resp != nil && resp.Body != nil && resp.Body.Regions != nil {
		for _, r := range resp.Body.Regions.Region {
			if r == nil || dara.StringValue(r.RegionId) == "" {
				continue
			}
			out = append(out, cloud.Region{ID: dara.StringValue(r.RegionId), LocalName: dara.StringValue(r.LocalName),
				Endpoint: dara.StringValue(r.RegionEndpoint)})
		}
	}
	return out, nil
}
