package aliyun_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cloud/aliyun"
	"github.com/skyfold/skyfold/internal/errs"
)

// Fake keys only: these never reach a real cloud.
const (
	testKeyID  = "LTAI5tEXAMPLEKEYID00001"
	testSecret = "EXAMPLEsecretEXAMPLEsecret0001"
)

// replay is an httptest server answering every request with one canned
// response, except STS GetCallerIdentity (which the driver calls once to
// learn the account id), answered normally.
func replay(t *testing.T, status int, header map[string]string, body string) *httptest.Server {
	return replayAll(t, false, status, header, body)
}

// replayAll is replay; with all set STS gets the canned response too.
func replayAll(t *testing.T, all bool, status int, header map[string]string, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := r.Header.Get("x-acs-action")
		if action == "" {
			action = r.URL.Query().Get("Action")
		}
		if !all && action == "GetCallerIdentity" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"RequestId":"sts-1","AccountId":"` + "1423762516458388" + `","Arn":"acs:ram::1423762516458388:root"}`))
			return
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if _, ok := header["Content-Type"]; !ok {
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openAt(t *testing.T, url string) *aliyun.Provider {
	t.Helper()
	p, err := aliyun.Open(context.Background(), cloud.AccountConfig{AccessKeyID: testKeyID, AccessKeySecret: testSecret,
		Endpoint: url, DefaultRegion: "cn-hangzhou", Options: map[string]string{"read_timeout": "5s"}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func aliyunErr(code, msg string) string {
	return `{"RequestId":"5C8E1A4B-0000-4000-8000-ERRORTEST001","HostId":"ecs.aliyuncs.com","Code":"` + code +
		`","Message":"` + msg + `","Recommend":"https://api.aliyun.com/troubleshoot"}`
}

func TestErrorMapping(t *testing.T) {
	const rid = "5C8E1A4B-0000-4000-8000-ERRORTEST001"
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		kind      error
		code      errs.Code
		cloudCode string
		requestID string
		minHint   time.Duration
	}{
		{"throttling user", 400, map[string]string{"x-ratelimit-user-api": "Limit:10,Remain:0,TimeLeft:1500,Reset:1700000000"},
			aliyunErr("Throttling.User", "Request was denied due to user flow control."), cloud.ErrThrottled, errs.Throttled, "Throttling.User", rid, 1500 * time.Millisecond},
		{"throttling with retry-after", 429, map[string]string{"Retry-After": "2"},
			aliyunErr("Throttling", "Request was denied due to flow control."), cloud.ErrThrottled, errs.Throttled, "Throttling", rid, 2 * time.Second},
		{"throttling api", 400, nil, aliyunErr("Throttling.Api", "Request was denied due to api flow control."), cloud.ErrThrottled, errs.Throttled, "Throttling.Api", rid, 0},
		{"throttling other family", 400, nil, aliyunErr("Throttling.Resource", "busy"), cloud.ErrThrottled, errs.Throttled, "Throttling.Resource", rid, 0},
		{"unknown access key", 404, nil, aliyunErr("InvalidAccessKeyId.NotFound", "Specified access key is not found."), cloud.ErrInvalidCredential, errs.Unauthorized, "InvalidAccessKeyId.NotFound", rid, 0},
		{"bad signature", 400, nil, aliyunErr("SignatureDoesNotMatch", "Specified signature is not matched with our calculation."), cloud.ErrInvalidCredential, errs.Unauthorized, "SignatureDoesNotMatch", rid, 0},
		{"bad secret", 400, nil, aliyunErr("InvalidAccessKeySecret", "The AccessKeySecret is incorrect."), cloud.ErrInvalidCredential, errs.Unauthorized, "InvalidAccessKeySecret", rid, 0},
		{"instance not found", 404, nil, aliyunErr("InvalidInstanceId.NotFound", "The specified InstanceId does not exist."), cloud.ErrNotFound, errs.NotFound, "InvalidInstanceId.NotFound", rid, 0},
		{"region not found", 404, nil, aliyunErr("InvalidRegionId.NotFound", "The specified RegionId does not exist."), cloud.ErrNotFound, errs.NotFound, "InvalidRegionId.NotFound", rid, 0},
		{"quota", 403, nil, aliyunErr("QuotaExceed.ElasticQuota", "No additional quota is available."), cloud.ErrQuotaExceeded, errs.Quota, "QuotaExceed.ElasticQuota", rid, 0},
		{"quota family", 403, nil, aliyunErr("InstanceQuotaExceeded.PostPaid", "too many"), cloud.ErrQuotaExceeded, errs.Quota, "InstanceQuotaExceeded.PostPaid", rid, 0},
		{"not enough balance", 403, nil, aliyunErr("InvalidAccount.NotEnoughBalance", "Your account does not have enough balance."), cloud.ErrInsufficientBalance, errs.Quota, "InvalidAccount.NotEnoughBalance", rid, 0},
		{"arrearage", 403, nil, aliyunErr("Account.Arrearage", "Your account has an outstanding payment."), cloud.ErrInsufficientBalance, errs.Quota, "Account.Arrearage", rid, 0},
		{"invalid parameter", 400, nil, aliyunErr("InvalidParameter", "The specified parameter is not valid."), cloud.ErrInvalidParameter, errs.Invalid, "InvalidParameter", rid, 0},
		{"missing parameter", 400, nil, aliyunErr("MissingParameter", "The input parameter \\\"VpcId\\\" is not supplied."), cloud.ErrInvalidParameter, errs.Invalid, "MissingParameter", rid, 0},
		{"malformed", 400, nil, aliyunErr("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid."), cloud.ErrInvalidParameter, errs.Invalid, "InvalidCidrBlock.Malformed", rid, 0},
		{"forbidden", 403, nil, aliyunErr("Forbidden.RAM", "User not authorized to operate on the specified resource."), cloud.ErrForbidden, errs.Forbidden, "Forbidden.RAM", rid, 0},
		{"incorrect status", 403, nil, aliyunErr("IncorrectInstanceStatus", "The current status of the resource does not support this operation."), cloud.ErrConflict, errs.Conflict, "IncorrectInstanceStatus", rid, 0},
		{"dependency", 400, nil, aliyunErr("DependencyViolation.Instance", "vswitch in use"), cloud.ErrConflict, errs.Conflict, "DependencyViolation.Instance", rid, 0},
		{"internal error", 500, nil, aliyunErr("InternalError", "The request processing has failed due to some unknown error."), cloud.ErrUnavailable, errs.Unavailable, "InternalError", rid, 0},
		{"service unavailable", 503, nil, aliyunErr("ServiceUnavailable", "The request has failed due to a temporary failure of the server."), cloud.ErrUnavailable, errs.Unavailable, "ServiceUnavailable", rid, 0},
		{"no stock", 400, nil, aliyunErr("OperationDenied.NoStock", "The resource is out of stock."), cloud.ErrShortage, errs.Quota, "OperationDenied.NoStock", rid, 0},
		{"vswitch short of addresses", 403, nil, aliyunErr("InvalidVSwitchId.IpNotEnough", "The specified vSwitch does not have enough IP addresses."), cloud.ErrShortage, errs.Quota, "InvalidVSwitchId.IpNotEnough", rid, 0},
		{"unknown code", 400, nil, aliyunErr("OperationDenied.Something", "The operation is denied."), cloud.ErrProvider, errs.Unavailable, "OperationDenied.Something", rid, 0},
		{"lower-case keys", 400, nil, `{"requestId":"req-lower","code":"InvalidParameter","message":"lower"}`, cloud.ErrInvalidParameter, errs.Invalid, "InvalidParameter", "req-lower", 0},
		{"html gateway error", 502, map[string]string{"Content-Type": "text/html", "x-acs-request-id": "gw-req-1"}, "<html><body>Bad Gateway</body></html>", cloud.ErrUnavailable, errs.Unavailable, "", "gw-req-1", 0},
		{"empty 500", 500, map[string]string{"x-acs-request-id": "empty-500"}, "", cloud.ErrUnavailable, errs.Unavailable, "", "empty-500", 0},
		{"garbage 400", 400, nil, "\x00\xff not json at all", cloud.ErrProvider, errs.Unavailable, "", "", 0},
		{"html 429", 429, map[string]string{"Content-Type": "text/html"}, "<h1>slow down</h1>", cloud.ErrThrottled, errs.Throttled, "", "", 0},
		{"garbage 200", 200, map[string]string{"x-acs-request-id": "ok-but-bad"}, "this is not json", cloud.ErrProvider, errs.Unavailable, "", "ok-but-bad", 0},
		{"truncated 200", 200, nil, `{"RequestId":"x","Instances":{"Instance":[{"InstanceId":`, cloud.ErrProvider, errs.Unavailable, "", "", 0},
		{"wrong types 200", 200, nil, `{"RequestId":"x","Instances":"oops","TotalCount":"many"}`, cloud.ErrProvider, errs.Unavailable, "", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := replay(t, tc.status, tc.header, tc.body)
			p := openAt(t, srv.URL)
			r, err := p.Region("cn-hangzhou")
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.ListInstances(context.Background(), cloud.InstanceQuery{}, cloud.PageRequest{})
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v; want kind %v", err, tc.kind)
			}
			if got := errs.CodeOf(err); got != tc.code {
				t.Errorf("errs.CodeOf = %q, want %q", got, tc.code)
			}
			var ce *cloud.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err %T is not a *cloud.Error", err)
			}
			if ce.Code != tc.cloudCode {
				t.Errorf("Code = %q, want %q", ce.Code, tc.cloudCode)
			}
			if ce.RequestID != tc.requestID {
				t.Errorf("RequestID = %q, want %q", ce.RequestID, tc.requestID)
			}
			if ce.Provider != "Aliyun" || ce.Op != "ecs.DescribeInstances" {
				t.Errorf("Provider/Op = %q/%q", ce.Provider, ce.Op)
			}
			if tc.minHint > 0 && cloud.RetryAfter(err) < tc.minHint {
				t.Errorf("RetryAfter = %v, want >= %v", cloud.RetryAfter(err), tc.minHint)
			}
			if tc.requestID != "" && !strings.Contains(err.Error(), tc.requestID) {
				t.Errorf("message %q lacks the request id", err.Error())
			}
		})
	}
}

// TestErrorMappingOtherProducts checks the generic-call path (STS, RDS, BSS)
// maps errors the same way.
func TestErrorMappingOtherProducts(t *testing.T) {
	srv := replayAll(t, true, 404, nil, aliyunErr("InvalidAccessKeyId.NotFound", "Specified access key is not found."))
	p := openAt(t, srv.URL)
	ctx := context.Background()
	if err := p.ValidateCredentials(ctx); !errors.Is(err, cloud.ErrInvalidCredential) || cloud.RequestID(err) == "" {
		t.Errorf("ValidateCredentials: %v; want invalid credential with request id", err)
	}
	if _, err := p.Balance(ctx); !errors.Is(err, cloud.ErrInvalidCredential) {
		t.Errorf("Balance: %v", err)
	}
	r, _ := p.Region("cn-hangzhou")
	if _, err := r.ListDatabases(ctx, cloud.PageRequest{}); !errors.Is(err, cloud.ErrInvalidCredential) {
		t.Errorf("ListDatabases: %v", err)
	}
	if _, err := r.ListBuckets(ctx); err == nil {
		t.Errorf("ListBuckets: want an error from a JSON answer to OSS")
	}
}

// TestOddSuccessBodies feeds well-formed but unexpected successes: the
// driver must not panic and must say what is missing.
func TestOddSuccessBodies(t *testing.T) {
	cases := []struct {
		name string
		body string
		call func(ctx context.Context, p *aliyun.Provider, r cloud.RegionClient) error
		want error // nil: success expected
	}{
		{"empty object list", `{}`, func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
			page, err := r.ListInstances(ctx, cloud.InstanceQuery{}, cloud.PageRequest{})
			if err == nil && (len(page.Items) != 0 || page.NextToken != "") {
				return errors.New("want an empty last page")
			}
			return err
		}, nil},
		{"null members", `{"Instances":{"Instance":[null,{},{"InstanceId":"i-1","VpcAttributes":{},"Tags":{"Tag":[null,{}]}}]}}`,
			func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
				page, err := r.ListInstances(ctx, cloud.InstanceQuery{}, cloud.PageRequest{})
				if err == nil && (len(page.Items) != 1 || page.Items[0].Status != cloud.StatusUnknown) {
					return errors.New("want one instance with unknown status")
				}
				return err
			}, nil},
		{"create without ids", `{"RequestId":"r1"}`, func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
			_, err := r.CreateInstances(ctx, cloud.CreateInstancesRequest{Amount: 1, InstanceType: "t", ImageID: "m"})
			return err
		}, cloud.ErrProvider},
		{"create vpc without id", `{"RequestId":"r1"}`, func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
			_, err := r.CreateVPC(ctx, cloud.VPCSpec{CIDR: "10.0.0.0/8"})
			return err
		}, cloud.ErrProvider},
		{"balance without data", `{"RequestId":"r1","Success":true}`, func(ctx context.Context, p *aliyun.Provider, _ cloud.RegionClient) error {
			_, err := p.Balance(ctx)
			return err
		}, cloud.ErrProvider},
		{"bss failure in body", `{"RequestId":"r1","Success":false,"Code":"NotAuthorized","Message":"no"}`, func(ctx context.Context, p *aliyun.Provider, _ cloud.RegionClient) error {
			_, err := p.Balance(ctx)
			return err
		}, cloud.ErrForbidden},
		{"metrics with bad datapoints", `{"RequestId":"r1","Success":true,"Datapoints":"[{"}`, func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
			_, err := r.Metrics(ctx, cloud.MetricQuery{InstanceIDs: []string{"i-1"}, Metrics: []cloud.Metric{cloud.MetricCPUUsage},
				Start: time.Unix(0, 0), End: time.Unix(600, 0)})
			return err
		}, cloud.ErrProvider},
		{"kafka null list", `{"RequestId":"r1","Success":true,"InstanceList":{"InstanceVO":null}}`, func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
			page, err := r.ListKafkas(ctx, cloud.PageRequest{})
			if err == nil && len(page.Items) != 0 {
				return errors.New("want none")
			}
			return err
		}, nil},
		{"zones odd", `{"Zones":{"Zone":[{"ZoneId":"z1","AvailableInstanceTypes":{"InstanceTypes":[null,"t1"]}},null]}}`,
			func(ctx context.Context, _ *aliyun.Provider, r cloud.RegionClient) error {
				zs, err := r.Zones(ctx)
				if err == nil && (len(zs) != 1 || len(zs[0].InstanceTypes) != 1) {
					return errors.New("want one zone with one type")
				}
				return err
			}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := replay(t, 200, nil, tc.body)
			p := openAt(t, srv.URL)
			r, _ := p.Region("cn-hangzhou")
			err := tc.call(context.Background(), p, r)
			if tc.want == nil && err != nil {
				t.Fatalf("err = %v; want success", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
		})
	}
}

func TestAccountWithoutID(t *testing.T) {
	srv := replayAll(t, true, 200, nil, `{"RequestId":"r1"}`)
	p := openAt(t, srv.URL)
	if _, err := p.Account(context.Background()); !errors.Is(err, cloud.ErrProvider) || cloud.RequestID(err) != "r1" {
		t.Fatalf("Account: %v; want a provider error with the request id", err)
	}
	// Region calls need the account id for global ids: no id, no call.
	r, _ := p.Region("cn-hangzhou")
	if _, err := r.ListInstances(context.Background(), cloud.InstanceQuery{}, cloud.PageRequest{}); !errors.Is(err, cloud.ErrProvider) {
		t.Fatalf("ListInstances without an account id: %v", err)
	}
}

func TestDryRunOperationIsSuccess(t *testing.T) {
	srv := replay(t, 400, nil, aliyunErr("DryRunOperation", "Request validation has been passed with DryRun flag set."))
	r, _ := openAt(t, srv.URL).Region("cn-hangzhou")
	res, err := r.CreateInstances(context.Background(), cloud.CreateInstancesRequest{Amount: 1, InstanceType: "ecs.t5", ImageID: "img", DryRun: true})
	if err != nil || !res.DryRun || len(res.InstanceIDs) != 0 {
		t.Fatalf("dry run = %+v, %v; want a passed dry run", res, err)
	}
}

func TestConnectionFailureIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("no hijacker")
			return
		}
		c, _, _ := hj.Hijack()
		_ = c.Close()
	}))
	t.Cleanup(srv.Close)
	r, _ := openAt(t, srv.URL).Region("cn-hangzhou")
	_, err := r.ListInstances(context.Background(), cloud.InstanceQuery{}, cloud.PageRequest{})
	if !errors.Is(err, cloud.ErrUnavailable) || !cloud.Retryable(err) {
		t.Fatalf("err = %v; want a retryable unavailable error", err)
	}
}

func TestContextCancelled(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	r, _ := openAt(t, srv.URL).Region("cn-hangzhou")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.ListInstances(ctx, cloud.InstanceQuery{}, cloud.PageRequest{})
	if !errors.Is(err, context.DeadlineExceeded) || cloud.Retryable(err) {
		t.Fatalf("err = %v; want the context's deadline, not retryable", err)
	}
}

func TestOpenValidates(t *testing.T) {
	ctx := context.Background()
	if _, err := aliyun.Open(ctx, cloud.AccountConfig{}); !errors.Is(err, cloud.ErrInvalidCredential) {
		t.Errorf("no keys: %v", err)
	}
	for _, ep := range []string{"ftp://x", "http://h:99999", "http://u:p@h", "http://h/path", "http://"} {
		if _, err := aliyun.Open(ctx, cloud.AccountConfig{AccessKeyID: testKeyID, AccessKeySecret: testSecret, Endpoint: ep}); !errors.Is(err, cloud.ErrInvalidParameter) {
			t.Errorf("endpoint %q: %v; want invalid parameter", ep, err)
		}
	}
	p, err := cloud.Open(ctx, "AlibabaCloud", cloud.AccountConfig{AccessKeyID: testKeyID, AccessKeySecret: testSecret})
	if err != nil || p.Name() != "Aliyun" {
		t.Fatalf("cloud.Open(AlibabaCloud) = %v, %v", p, err)
	}
}

// TestListingsDecodeLeniently: numbers sent as strings (which some Aliyun
// endpoints do) fail the strict decoder and go through the SDK's lenient
// converter; the listing still reads every field.
func TestListingsDecodeLeniently(t *testing.T) {
	srv := replay(t, 200, nil, `{"RequestId":"r1","TotalCount":"1","PageNumber":"1","PageSize":"10","Instances":{"Instance":[
		{"InstanceId":"i-1","InstanceName":"web","ZoneId":"cn-hangzhou-h","Status":"Running","Cpu":"4","Memory":"8192",
		 "InstanceType":"ecs.g7.xlarge","CreationTime":"2024-01-02T03:04Z","InstanceChargeType":"PostPaid",
		 "VpcAttributes":{"VpcId":"vpc-1","VSwitchId":"vsw-1","PrivateIpAddress":{"IpAddress":["10.0.0.5"]}},
		 "PublicIpAddress":{"IpAddress":[]},"EipAddress":{"IpAddress":"47.1.2.3"},
		 "SecurityGroupIds":{"SecurityGroupId":["sg-1"]},"Tags":{"Tag":[{"TagKey":"env","TagValue":"prod"}]}}]}}`)
	r, _ := openAt(t, srv.URL).Region("cn-hangzhou")
	page, err := r.ListInstances(context.Background(), cloud.InstanceQuery{}, cloud.PageRequest{})
	if err != nil || len(page.Items) != 1 || page.Total != 1 {
		t.Fatalf("page = %+v, %v", page, err)
	}
	in := page.Items[0]
	if in.CPU != 4 || in.MemoryMiB != 8192 || in.VPCID != "vpc-1" || in.SubnetID != "vsw-1" || in.Tags["env"] != "prod" ||
		fmt.Sprint(in.PrivateIPs, in.PublicIPs, in.SecurityGroupIDs) != "[10.0.0.5] [47.1.2.3] [sg-1]" ||
		in.CreatedAt.Format(time.RFC3339) != "2024-01-02T03:04:00Z" {
		t.Fatalf("instance = %+v", in)
	}

	srv = replay(t, 200, nil, `{"RequestId":"r2","TotalCount":1,"Disks":{"Disk":[{"DiskId":"d-1","Size":"40","Category":"cloud_essd",
		"Type":"System","InstanceId":"i-1","Status":"In_use","DiskChargeType":"PostPaid"}]}}`)
	r, _ = openAt(t, srv.URL).Region("cn-hangzhou")
	disks, err := r.ListDisks(context.Background(), cloud.DiskQuery{}, cloud.PageRequest{})
	if err != nil || len(disks.Items) != 1 || disks.Items[0].SizeGiB != 40 || disks.Items[0].Type != "system" ||
		disks.Items[0].InstanceID != "i-1" {
		t.Fatalf("disks = %+v, %v", disks, err)
	}
}
