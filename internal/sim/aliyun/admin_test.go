package aliyunsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func admin(t *testing.T, e *env, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.hs.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %q: %v", method, path, raw, err)
	}
	return resp.StatusCode, out
}

func adminItems(t *testing.T, e *env, kind string) []map[string]any {
	t.Helper()
	status, out := admin(t, e, "GET", "/_sim/state/"+kind+"?limit=100000", "")
	if status != 200 {
		t.Fatalf("state %s: %d %v", kind, status, out)
	}
	var items []map[string]any
	for _, it := range out["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/_sim/status", "", 200},
		{"PUT", "/_sim/config", `{"latency":"1ms","rateLimit":0,"failRate":0,"stateDelay":"500ms"}`, 200},
		{"PUT", "/_sim/config", `{"failRate":2}`, 400},
		{"PUT", "/_sim/config", `{"bogus":1}`, 400},
		{"POST", "/_sim/accounts", `{"accessKeyId":"LTAI5tEXAMPLEKEYID00002","accessKeySecret":"EXAMPLEsecret2","accountId":"1500000000000002","name":"second"}`, 201},
		{"POST", "/_sim/accounts", `{"accessKeyId":"","accessKeySecret":"x"}`, 400},
		{"PUT", "/_sim/accounts/LTAI5tEXAMPLEKEYID00002/quota", `{"maxInstances":3,"maxVCPUs":6,"balance":"12.50"}`, 200},
		{"PUT", "/_sim/accounts/LTAI5tNOSUCH/quota", `{"maxInstances":3}`, 404},
		{"POST", "/_sim/populate", `{"accessKeyId":"` + testAK + `","instances":30,"regions":["cn-shenzhen"],"buckets":1,"dbs":1,"caches":1,"kafkas":1}`, 200},
		{"POST", "/_sim/populate", `{"accessKeyId":"` + testAK + `","instances":1,"regions":["atlantis-1"]}`, 400},
		{"GET", "/_sim/state/instances?region=cn-shenzhen&limit=5", "", 200},
		{"GET", "/_sim/state/unicorns", "", 404},
		{"GET", "/_sim/nothing", "", 404},
	}
	for _, tc := range cases {
		status, body := admin(t, e, tc.method, tc.path, tc.body)
		if status != tc.want {
			t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, status, body, tc.want)
		}
	}
	st := e.srv.Status()
	if len(st.Accounts) != 2 || st.Config.Latency != "1ms" {
		t.Fatalf("status: %+v", st)
	}
	for _, a := range st.Accounts {
		if a.AccountID == "1500000000000002" && (a.MaxInstances != 3 || a.Balance != "12.50") {
			t.Errorf("second account: %+v", a)
		}
		if a.AccountID == testAccount && (a.Counts["instances"] != 30 || a.Counts["buckets"] != 1 || a.Counts["kafka"] != 1) {
			t.Errorf("populated account: %+v", a.Counts)
		}
	}
	if items := adminItems(t, e, "instances"); len(items) != 30 {
		t.Errorf("state dump: %d instances", len(items))
	}
	// The second account's key now works with the SDK-less signer.
	req := v1Request(e.hs.URL, "LTAI5tEXAMPLEKEYID00002", "EXAMPLEsecret2", map[string]string{"Action": "GetCallerIdentity", "Version": "2015-04-01"})
	if status, body := send(t, req); status != 200 || body["AccountId"] != "1500000000000002" {
		t.Errorf("second account: %d %v", status, body)
	}
	if status, _ := admin(t, e, "POST", "/_sim/reset", ""); status != 200 {
		t.Fatal("reset failed")
	}
	if n := e.srv.Status().Accounts[1].Counts["instances"]; n != 0 {
		t.Errorf("%d instances after reset", n)
	}
}

func TestAdminRefusesRemoteClients(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest("GET", "/_sim/status", nil)
	req.RemoteAddr = "192.0.2.10:40000"
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("remote admin call: %d", rec.Code)
	}
}
