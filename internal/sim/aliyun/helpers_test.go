package aliyunsim_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	bss "github.com/alibabacloud-go/bssopenapi-20171214/v6/client"
	cms "github.com/alibabacloud-go/cms-20190101/v9/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

// The documented fake credential the tests sign with.
const (
	testAK      = "LTAI5tEXAMPLEKEYID00001"
	testSecret  = "EXAMPLEsecretEXAMPLEsecret0001"
	testAccount = "1423762516458388"
	region      = "cn-hangzhou"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a simulator served over loopback with a fake clock.
type env struct {
	t     testing.TB
	srv   *aliyunsim.Server
	hs    *httptest.Server
	clock *clock
	host  string
}

func newEnv(t testing.TB, mutate ...func(*aliyunsim.Config)) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 10, 6, 30, 0, 0, time.UTC)}
	cfg := aliyunsim.Config{
		Accounts:   []aliyunsim.Account{{AccessKeyID: testAK, AccessKeySecret: testSecret, AccountID: testAccount, Name: "test"}},
		Seed:       42,
		Now:        clk.Now,
		StateDelay: time.Second,
		Logger:     slog.New(slog.DiscardHandler),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := aliyunsim.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{t: t, srv: srv, hs: hs, clock: clk, host: strings.TrimPrefix(hs.URL, "http://")}
}

// sdkHTTP is the HTTP client the SDK clients use. The SDK's own pooled client
// rewrites a shared http.Client's Timeout on every call, which the race
// detector flags when clients run concurrently; passing our own avoids it.
type sdkHTTP struct{ c *http.Client }

func (h sdkHTTP) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	return h.c.Do(req)
}

var sharedSDKHTTP = sdkHTTP{c: &http.Client{Timeout: 30 * time.Second}}

// sdkConfig points an SDK client at the simulator. v1 selects signature v1
// (HMAC-SHA1); otherwise the SDK's default ACS3-HMAC-SHA256.
func (e *env) sdkConfig(v1 bool, secret string) *openapi.Config {
	c := &openapi.Config{
		AccessKeyId:     dara.String(testAK),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(e.host),
		Protocol:        dara.String("http"),
		RegionId:        dara.String(region),
		HttpClient:      sharedSDKHTTP,
	}
	if v1 {
		c.SignatureAlgorithm = dara.String("v2")
	}
	return c
}

func (e *env) ecs(v1 bool) *ecs.Client {
	c, err := ecs.NewClient(e.sdkConfig(v1, testSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) vpc() *vpc.Client {
	c, err := vpc.NewClient(e.sdkConfig(false, testSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) sts(v1 bool) *sts.Client {
	c, err := sts.NewClient(e.sdkConfig(v1, testSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) bss() *bss.Client {
	c, err := bss.NewClient(e.sdkConfig(false, testSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) cms() *cms.Client {
	c, err := cms.NewClient(e.sdkConfig(false, testSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// sdkErr returns the Aliyun error code and HTTP status of an SDK error.
func sdkErr(t testing.TB, err error) (string, int) {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got none")
	}
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("error %T is not an SDK error: %v", err, err)
	}
	return dara.StringValue(se.Code), dara.IntValue(se.StatusCode)
}

// must returns v, or fails the running test by panicking with err. It is for
// calls that cannot fail against a correct simulator.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// --- an independent signer, written from Aliyun's signature documentation ---

func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

func nonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// v1Request builds a GET request signed with signature v1.
func v1Request(base, ak, secret string, params map[string]string) *http.Request {
	all := map[string]string{
		"Format": "JSON", "AccessKeyId": ak, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
		"SignatureNonce": nonce(), "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	for k, v := range params {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = rfc3986(k) + "=" + rfc3986(all[k])
	}
	canon := strings.Join(parts, "&")
	sts := "GET&%2F&" + rfc3986(canon)
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
	req, _ := http.NewRequest(http.MethodGet, base+"/?"+canon+"&Signature="+rfc3986(sig), nil)
	return req
}

// acs3Request builds a POST request signed with ACS3-HMAC-SHA256; params go in
// the query string, the body is empty.
func acs3Request(base, ak, secret, action, version string, params map[string]string) *http.Request {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = rfc3986(k) + "=" + rfc3986(params[k])
	}
	query := strings.Join(parts, "&")
	req, _ := http.NewRequest(http.MethodPost, base+"/?"+query, nil)
	empty := sha256.Sum256(nil)
	payload := hex.EncodeToString(empty[:])
	h := map[string]string{
		"x-acs-action": action, "x-acs-version": version, "x-acs-date": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce": nonce(), "x-acs-content-sha256": payload, "host": req.URL.Host,
	}
	names := make([]string, 0, len(h))
	for k, v := range h {
		names = append(names, k)
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, k := range names {
		ch.WriteString(k + ":" + strings.TrimSpace(h[k]) + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := "POST\n/\n" + query + "\n" + ch.String() + "\n" + signed + "\n" + payload
	sum := sha256.Sum256([]byte(canonical))
	sts := "ACS3-HMAC-SHA256\n" + hex.EncodeToString(sum[:])
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sts))
	req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+ak+",SignedHeaders="+signed+",Signature="+hex.EncodeToString(m.Sum(nil)))
	return req
}

// send performs req and decodes the JSON answer.
func send(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return resp.StatusCode, out
}

// rpc sends a signature-v1 call with the test credential.
func (e *env) rpc(action, version string, params map[string]string) (int, map[string]any) {
	e.t.Helper()
	all := map[string]string{"Action": action, "Version": version}
	for k, v := range params {
		all[k] = v
	}
	return send(e.t, v1Request(e.hs.URL, testAK, testSecret, all))
}

// network creates a VPC, a vSwitch and a security group in region.
func (e *env) network(cidr, vswCIDR string) (vpcID, vswID, sgID string) {
	e.t.Helper()
	v := e.vpc()
	cv := must(v.CreateVpc(&vpc.CreateVpcRequest{RegionId: dara.String(region), CidrBlock: dara.String(cidr)}))
	cs := must(v.CreateVSwitch(&vpc.CreateVSwitchRequest{RegionId: dara.String(region), VpcId: cv.Body.VpcId,
		ZoneId: dara.String("cn-hangzhou-h"), CidrBlock: dara.String(vswCIDR)}))
	sg := must(e.ecs(false).CreateSecurityGroup(&ecs.CreateSecurityGroupRequest{RegionId: dara.String(region), VpcId: cv.Body.VpcId}))
	return *cv.Body.VpcId, *cs.Body.VSwitchId, *sg.Body.SecurityGroupId
}

func runReq(vsw, sg string, amount int32) *ecs.RunInstancesRequest {
	return &ecs.RunInstancesRequest{RegionId: dara.String(region), InstanceType: dara.String("ecs.g6.large"),
		ImageId: dara.String("centos_7_6_x64_20G_alibase_20211030.vhd"), VSwitchId: dara.String(vsw),
		SecurityGroupId: dara.String(sg), Amount: dara.Int32(amount)}
}

func (e *env) status(id string) string {
	e.t.Helper()
	d := must(e.ecs(false).DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region),
		InstanceIds: dara.String(`["` + id + `"]`)}))
	if len(d.Body.Instances.Instance) != 1 {
		e.t.Fatalf("instance %s not found", id)
	}
	return *d.Body.Instances.Instance[0].Status
}
