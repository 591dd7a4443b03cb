package aliyunsim

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// Fuzz tests for every parser of outside input: query/form parameters and
// their list, object, tag and JSON-array forms; both RPC signature schemes;
// OSS authorization; CMS times and dimensions; paging cursors; and, through
// requests this file signs itself, every RPC and OSS handler.

const fuzzAK, fuzzSecret = "LTAI5tFUZZKEY000001", "fuzz-secret"

func fuzzServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := New(Config{Accounts: []Account{{AccessKeyID: fuzzAK, AccessKeySecret: fuzzSecret, AccountID: "1400000000000001"}},
		Seed: 1, Logger: slog.New(slog.DiscardHandler), StateDelay: -1})
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Populate(fuzzAK, PopulateOptions{Instances: 20, Regions: []string{"cn-hangzhou"}, Buckets: 1, DBs: 1, Caches: 1, Kafkas: 1}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func FuzzParams(f *testing.F) {
	for _, seed := range []string{
		"Tag.1.Key=env&Tag.1.Value=prod&Tag.2.Key=team",
		"InstanceId.1=i-a&InstanceId.3=i-c&InstanceId.x=bad",
		`InstanceIds=["i-a","i-b"]&VpcId=vpc-a,vpc-b`,
		"DataDisk.1.Size=100&DataDisk.1.Category=cloud_essd&DataDisk.17.Size=1",
		"PageNumber=-1&PageSize=1000000000000000000000&DryRun=maybe",
		"Tag.1.Key=aliyun:x&Tag.1000000.Key=a",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, _ := url.ParseQuery(raw)
		p := params{}
		for k, v := range vals {
			p[k] = v[0]
		}
		if l, aerr := p.list("InstanceId", 100); aerr == nil && len(l) > 100 {
			t.Fatalf("list longer than its limit: %d", len(l))
		}
		if o, aerr := p.objects("DataDisk", 16); aerr == nil && len(o) > 16 {
			t.Fatalf("objects longer than their limit: %d", len(o))
		}
		if tags, aerr := p.tags("Tag"); aerr == nil {
			seen := map[string]bool{}
			for _, tg := range tags {
				if tg.Key == "" || seen[tg.Key] {
					t.Fatalf("bad tag list %v", tags)
				}
				seen[tg.Key] = true
			}
		}
		if ids, aerr := p.jsonList("InstanceIds", 100); aerr == nil && len(ids) > 100 {
			t.Fatalf("JSON list longer than its limit")
		}
		_, _ = p.commaList("VpcId", 20)
		if n, aerr := p.integer("PageSize", 10, 1, 100); aerr == nil && (n < 1 || n > 100) {
			t.Fatalf("integer out of bounds: %d", n)
		}
		_, _ = p.boolean("DryRun")
		_, _, _ = p.paging(10, 100)
	})
}

func FuzzParseACS3Authorization(f *testing.F) {
	f.Add("ACS3-HMAC-SHA256 Credential=LTAI5t,SignedHeaders=host;x-acs-date,Signature=abcdef")
	f.Add("ACS3-HMAC-SHA256 Credential=,SignedHeaders=,Signature=")
	f.Add("ACS3-HMAC-SHA256")
	f.Add("ACS3-HMAC-SHA256 Credential=a=b=c,,Signature=x,SignedHeaders=;;;")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseACS3Authorization(h)
		if err == nil && (a.accessKeyID == "" || a.signature == "" || len(a.signedHeaders) == 0) {
			t.Fatalf("accepted incomplete header %q: %+v", h, a)
		}
	})
}

func FuzzParseOSSAuthorization(f *testing.F) {
	f.Add("OSS LTAI5t:c2lnbmF0dXJl")
	f.Add("OSS4-HMAC-SHA256 Credential=LTAI5t/20261110/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host,Signature=ab")
	f.Add("OSS4-HMAC-SHA256 Credential=a/b,Signature=")
	f.Add("OSS :")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseOSSAuthorization(h)
		if err == nil && (a.accessKey == "" || a.signature == "") {
			t.Fatalf("accepted incomplete header %q", h)
		}
	})
}

func FuzzCMSInputs(f *testing.F) {
	f.Add("2026-11-10 08:00:00", `[{"instanceId":"i-a"},{"instanceId":"i-b"}]`, "cms-1z-3")
	f.Add("1795328400000", `{"instanceId":"i-a"}`, "cms--1-0")
	f.Add("2026-11-10T08:00:00Z", `[{"instanceId":5}]`, "last-9")
	f.Add("-1", `[`, "cms-")
	f.Fuzz(func(t *testing.T, ts, dims, tok string) {
		if tm, ok := parseCMSTime(ts); ok && tm.IsZero() {
			t.Fatalf("zero time accepted for %q", ts)
		}
		if ids, ok := parseDimensions(dims); ok && len(ids) > 1000 {
			t.Fatalf("too many dimensions")
		}
		if seq, b, ok := decodeCMSToken(tok); ok && (seq < 0 || b < 0) {
			t.Fatalf("negative cursor from %q", tok)
		}
		if seq, aerr := decodeToken(tok); aerr == nil && encodeToken(seq) != tok {
			t.Fatalf("token %q decodes to %d which encodes differently", tok, seq)
		}
	})
}

// signV1 signs vals as signature v1 with the fuzz credential.
func signV1(vals url.Values) string {
	vals.Set("AccessKeyId", fuzzAK)
	vals.Set("SignatureMethod", "HMAC-SHA1")
	vals.Set("SignatureVersion", "1.0")
	vals.Set("SignatureNonce", newRequestID())
	vals.Set("Timestamp", time.Now().UTC().Format(time.RFC3339))
	vals.Del("Signature")
	sig := v1Sign(fuzzSecret, v1StringToSign(http.MethodGet, vals))
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range vals[k] {
			parts = append(parts, percentEncode(k)+"="+percentEncode(v))
		}
	}
	return strings.Join(parts, "&") + "&Signature=" + percentEncode(sig)
}

var fuzzActions = []struct{ version, action string }{
	{versionECS, "RunInstances"}, {versionECS, "DescribeInstances"}, {versionECS, "DeleteInstances"}, {versionECS, "StopInstances"},
	{versionECS, "AuthorizeSecurityGroup"}, {versionECS, "DescribeDisks"}, {versionECS, "TagResources"}, {versionECS, "ListTagResources"},
	{versionECS, "ModifyInstanceSpec"}, {versionECS, "DescribeImages"}, {versionECS, "DescribeAvailableResource"}, {versionECS, "DescribePrice"},
	{versionVPC, "CreateVpc"}, {versionVPC, "CreateVSwitch"}, {versionVPC, "DescribeVSwitches"}, {versionVPC, "AllocateEipAddress"},
	{versionVPC, "AssociateEipAddress"}, {versionBSS, "QueryInstanceBill"}, {versionBSS, "DescribeInstanceBill"},
	{versionCMS, "DescribeMetricList"}, {versionCMS, "DescribeMetricLast"}, {versionRDS, "DescribeDBInstances"},
	{versionRedis, "DescribeInstances"}, {versionKafka, "GetInstanceList"}, {versionECS, "NoSuchAction"},
}

func FuzzSignedRPC(f *testing.F) {
	s := fuzzServer(f)
	h := s.Handler()
	f.Add(uint8(0), "RegionId=cn-hangzhou&InstanceType=ecs.g6.large&ImageId=centos_7_6_x64_20G_alibase_20211030.vhd&Amount=2")
	f.Add(uint8(1), `RegionId=cn-hangzhou&InstanceIds=["i-x"]&Tag.1.Key=env&MaxResults=7&NextToken=zz`)
	f.Add(uint8(12), "RegionId=cn-hangzhou&CidrBlock=10.0.0.0/8")
	f.Add(uint8(13), "RegionId=cn-hangzhou&VpcId=vpc-x&ZoneId=cn-hangzhou-h&CidrBlock=10.1.0.0/16")
	f.Add(uint8(17), "BillingCycle=2026-11&Granularity=DAILY&BillingDate=2026-11-09&PageSize=300")
	f.Add(uint8(19), `Namespace=acs_ecs_dashboard&MetricName=CPUUtilization&Dimensions=[{"instanceId":"i-a"}]&StartTime=2026-11-09 00:00:00`)
	f.Add(uint8(4), "RegionId=cn-hangzhou&SecurityGroupId=sg-x&Permissions.1.IpProtocol=tcp&Permissions.1.PortRange=1/2")
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		a := fuzzActions[int(which)%len(fuzzActions)]
		vals.Set("Action", a.action)
		vals.Set("Version", a.version)
		req := httptest.NewRequest(http.MethodGet, "/?"+signV1(vals), nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %q: status %d: %s", a.action, raw, rec.Code, rec.Body.String())
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: response is not JSON: %v", a.action, err)
		}
		if out["RequestId"] == nil {
			t.Fatalf("%s: no RequestId in %v", a.action, out)
		}
	})
}

func FuzzUnsignedRequests(f *testing.F) {
	s := fuzzServer(f)
	h := s.Handler()
	f.Add("GET", "/?Action=DescribeRegions&Version=2014-05-26&AccessKeyId=x&Signature=y", "", "")
	f.Add("POST", "/?RegionId=cn-hangzhou", "ACS3-HMAC-SHA256 Credential=LTAI5tFUZZKEY000001,SignedHeaders=host,Signature=00", "a=b")
	f.Add("PUT", "/bucket-name", "OSS4-HMAC-SHA256 Credential=LTAI5tFUZZKEY000001/20261110/cn-hangzhou/oss/aliyun_v4_request,Signature=00", "<CreateBucketConfiguration/>")
	f.Add("GET", "/b?bucketInfo", "OSS LTAI5tFUZZKEY000001:AAAA", "")
	f.Add("PUT", "/_sim/config", "", `{"latency":"bogus"}`)
	f.Fuzz(func(t *testing.T, method, target, auth, body string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "HEAD":
		default:
			return
		}
		if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "/_sim/populate") || strings.HasPrefix(target, "/_sim/reset") {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		req := httptest.NewRequest(method, "http://127.0.0.1/", strings.NewReader(body))
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s: status %d: %s", method, target, rec.Code, rec.Body.String())
		}
		_ = s.SetRuntime(RuntimeConfig{Latency: new(time.Duration), FailRate: new(float64), RateLimit: new(float64)})
	})
}

// signOSSV1 signs an OSS request with the V1 scheme.
func signOSSV1(req *http.Request, bucket, key string) {
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	sig := ossV1Sign(fuzzSecret, ossV1StringToSign(req, bucket, key))
	req.Header.Set("Authorization", "OSS "+fuzzAK+":"+sig)
}

func FuzzSignedOSS(f *testing.F) {
	s := fuzzServer(f)
	h := s.Handler()
	f.Add("PUT", "new-bucket", "", "<CreateBucketConfiguration><StorageClass>IA</StorageClass></CreateBucketConfiguration>", "private")
	f.Add("GET", "", "max-keys=5&prefix=sky", "", "")
	f.Add("GET", "new-bucket", "bucketInfo", "", "")
	f.Add("GET", "new-bucket", "stat", "", "")
	f.Add("DELETE", "new-bucket", "", "", "")
	f.Add("PUT", "x", "", "<notxml", "weird")
	f.Fuzz(func(t *testing.T, method, bucket, query, body, acl string) {
		switch method {
		case "GET", "PUT", "DELETE":
		default:
			return
		}
		if strings.ContainsAny(bucket, "/?#%") || strings.HasPrefix(bucket, "_sim") {
			return
		}
		req := httptest.NewRequest(method, "http://127.0.0.1/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = "/"+bucket, query
		if acl != "" {
			req.Header.Set("x-oss-acl", acl)
		}
		b, k := ossTarget(req)
		signOSSV1(req, b, k)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s /%s?%s: %d %s", method, bucket, query, rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusForbidden && strings.Contains(rec.Body.String(), "SignatureDoesNotMatch") {
			t.Fatalf("own V1 signature refused for %s /%s?%s", method, bucket, query)
		}
		_, _ = io.Copy(io.Discard, rec.Body)
	})
}
