package aliyunsim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/dara"
)

func TestSDKBothSignatureMethods(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		v1   bool
	}{{"ACS3-HMAC-SHA256", false}, {"signature v1", true}} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := e.sts(tc.v1).GetCallerIdentity()
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if got := dara.StringValue(id.Body.AccountId); got != testAccount {
				t.Errorf("AccountId = %q, want %q", got, testAccount)
			}
			if got := dara.StringValue(id.Body.Arn); got != "acs:ram::"+testAccount+":root" {
				t.Errorf("Arn = %q", got)
			}
			if dara.StringValue(id.Body.RequestId) == "" {
				t.Error("no RequestId")
			}
			regs, err := e.ecs(tc.v1).DescribeRegions(&ecs.DescribeRegionsRequest{})
			if err != nil {
				t.Fatalf("DescribeRegions: %v", err)
			}
			found := false
			for _, r := range regs.Body.Regions.Region {
				if *r.RegionId == "cn-beijing" && *r.LocalName == "华北2（北京）" {
					found = true
				}
			}
			if !found {
				t.Error("cn-beijing 华北2（北京） missing from DescribeRegions")
			}
		})
	}
}

func TestWrongSecretRefused(t *testing.T) {
	e := newEnv(t)
	for _, v1 := range []bool{false, true} {
		c, err := sts.NewClient(e.sdkConfig(v1, "not-the-secret"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetCallerIdentity()
		code, status := sdkErr(t, err)
		if code != "SignatureDoesNotMatch" || status != http.StatusBadRequest {
			t.Errorf("v1=%v: got %s/%d, want SignatureDoesNotMatch/400", v1, code, status)
		}
	}
	// Aliyun's v1 message shows the server's string to sign.
	status, body := send(t, v1Request(e.hs.URL, testAK, "wrong", map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26"}))
	if status != http.StatusBadRequest || body["Code"] != "SignatureDoesNotMatch" {
		t.Fatalf("got %d %v", status, body)
	}
	msg, _ := body["Message"].(string)
	if !strings.Contains(msg, "server string to sign is:GET&%2F&") || !strings.Contains(msg, "Action%3DDescribeRegions") {
		t.Errorf("message %q does not carry the server string to sign", msg)
	}
	for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
		if _, ok := body[k]; !ok {
			t.Errorf("error body lacks %s: %v", k, body)
		}
	}
	status, body = send(t, acs3Request(e.hs.URL, testAK, "wrong", "DescribeRegions", "2014-05-26", nil))
	if status != http.StatusBadRequest || body["Code"] != "SignatureDoesNotMatch" {
		t.Errorf("ACS3 with wrong secret: got %d %v", status, body)
	}
}

func TestIndependentSignerAccepted(t *testing.T) {
	e := newEnv(t)
	status, body := send(t, acs3Request(e.hs.URL, testAK, testSecret, "DescribeZones", "2014-05-26", map[string]string{"RegionId": "cn-beijing"}))
	if status != http.StatusOK {
		t.Fatalf("ACS3: %d %v", status, body)
	}
	status, body = send(t, v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "DescribeZones", "Version": "2014-05-26", "RegionId": "cn-beijing", "Odd": "a b*c~d/é"}))
	if status != http.StatusOK {
		t.Fatalf("v1: %d %v", status, body)
	}
	zones := body["Zones"].(map[string]any)["Zone"].([]any)
	if len(zones) != 6 {
		t.Errorf("cn-beijing has %d zones, want 6", len(zones))
	}
}

func TestRequestRejections(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"unknown access key", v1Request(e.hs.URL, "LTAI5tNOSUCHKEY", testSecret, map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26"}), 404, "InvalidAccessKeyId.NotFound"},
		{"unknown access key ACS3", acs3Request(e.hs.URL, "LTAI5tNOSUCHKEY", testSecret, "DescribeRegions", "2014-05-26", nil), 404, "InvalidAccessKeyId.NotFound"},
		{"unknown action", v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "LaunchRockets", "Version": "2014-05-26"}), 404, "InvalidAction.NotFound"},
		{"unknown action ACS3", acs3Request(e.hs.URL, testAK, testSecret, "LaunchRockets", "2016-04-28", nil), 404, "InvalidAction.NotFound"},
		{"unknown version", v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "DescribeRegions", "Version": "1999-01-01"}), 400, "InvalidVersion"},
		{"missing region", v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "DescribeInstances", "Version": "2014-05-26"}), 400, "MissingRegionId"},
		{"unknown region", v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "DescribeInstances", "Version": "2014-05-26", "RegionId": "mars-north-1"}), 404, "InvalidRegionId.NotFound"},
		{"missing parameter", v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "CreateVSwitch", "Version": "2016-04-28", "RegionId": region}), 400, "MissingParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(t, tc.req)
			if status != tc.wantStatus || body["Code"] != tc.wantCode {
				t.Errorf("got %d %v, want %d %s", status, body["Code"], tc.wantStatus, tc.wantCode)
			}
			if body["RequestId"] == "" || body["RequestId"] == nil {
				t.Error("no RequestId")
			}
		})
	}
	t.Run("unknown action message", func(t *testing.T) {
		_, body := send(t, v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "Nope", "Version": "2014-05-26"}))
		if body["Message"] != "Specified api is not found, please check your url and method." {
			t.Errorf("message %q", body["Message"])
		}
	})
}

func TestReplayAndStaleRequestsRefused(t *testing.T) {
	e := newEnv(t)
	req := v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26"})
	replay, _ := http.NewRequest(http.MethodGet, req.URL.String(), nil)
	if status, body := send(t, req); status != 200 {
		t.Fatalf("first call: %d %v", status, body)
	}
	if status, body := send(t, replay); status != 400 || body["Code"] != "SignatureNonceUsed" {
		t.Errorf("replay: %d %v", status, body)
	}
	stale := v1Request(e.hs.URL, testAK, testSecret, map[string]string{"Action": "DescribeRegions", "Version": "2014-05-26",
		"Timestamp": time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05Z")})
	if status, body := send(t, stale); status != 400 || body["Code"] != "InvalidTimeStamp.Expired" {
		t.Errorf("stale: %d %v", status, body)
	}
	tampered := acs3Request(e.hs.URL, testAK, testSecret, "DescribeRegions", "2014-05-26", nil)
	tampered.Header.Set("x-acs-action", "DescribeZones")
	if status, body := send(t, tampered); status != 400 || body["Code"] != "SignatureDoesNotMatch" {
		t.Errorf("tampered header: %d %v", status, body)
	}
}
