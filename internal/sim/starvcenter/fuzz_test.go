package starvcentersim_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	sim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

func FuzzDecodeParam(f *testing.F) {
	for _, s := range []string{"", "e30=", "e30", "eyJ2bS5pZCI6IjEifQ==", "W10=", "bnVsbA==", "!!", "e30=e30=",
		base64.StdEncoding.EncodeToString([]byte(`{"a":1.5e3,"b":[1,"x"],"c":{"d":null}}`)),
		base64.URLEncoding.EncodeToString([]byte(`{"名":"值??>>"}`)), "eyJ2bS5p\r\nZCI6IjEifQ=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := sim.DecodeParam(s)
		if err != nil {
			if m != nil {
				t.Fatal("map with error")
			}
			return
		}
		if m == nil {
			t.Fatal("nil map without error")
		}
		// What decodes re-encodes and decodes to the same object.
		enc, err := sim.EncodeParam(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := sim.DecodeParam(enc)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		a, _ := json.Marshal(m)
		b, _ := json.Marshal(m2)
		if string(a) != string(b) {
			t.Fatalf("round trip %s != %s", a, b)
		}
	})
}

func FuzzParsePage(f *testing.F) {
	f.Add(`{}`, false)
	f.Add(`{"page.startnum":"1","page.everypagenum":"30"}`, true)
	f.Add(`{"page.startnum":2,"page.everypagenum":2.0}`, false)
	f.Add(`{"page.startnum":"-1","page.everypagenum":"x"}`, false)
	f.Add(`{" page.startnum ":"9999999999999","page.everypagenum*":"1"}`, false)
	f.Add(`{"page.startnum":true,"page.everypagenum":[1]}`, true)
	f.Fuzz(func(t *testing.T, js string, required bool) {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(js))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			return
		}
		pg, err := sim.ParsePage(m, required)
		if err != nil {
			if pg != (sim.Page{}) {
				t.Fatalf("page %+v with error %v", pg, err)
			}
			return
		}
		if pg.Size == 0 {
			if required || pg.Start != 0 {
				t.Fatalf("zero-size page %+v (required %v)", pg, required)
			}
			return
		}
		if pg.Start < 1 || pg.Size < 1 || pg.Size > sim.MaxPageSize {
			t.Fatalf("page out of range: %+v", pg)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{`{"result":"0","data":[]}`, `{"result":0,"startid":12,"dataCount":"3"}`, `eyJyZXN1bHQiOiIxMDAzIn0=`, ``, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := sim.DecodeResponse(b)
		if err == nil && r == nil {
			t.Fatal("nil response without error")
		}
	})
}

// FuzzServeAPI throws arbitrary KEY_PARAM values at the server: it must
// answer with a decodable envelope and a known result code, and survive.
func FuzzServeAPI(f *testing.F) {
	s, _ := mustOpen(f)
	if err := s.Populate(sim.PopulateOptions{Tenants: 1, VMsPerTenant: 3}); err != nil {
		f.Fatal(err)
	}
	paths := []string{"POST cloudvm/create", "POST cloudvm/search", "PUT cloudvm/start", "POST cloudnetwork/vpc/create",
		"POST cloudnetwork/portMapping/create", "POST cloudslb/add", "POST cloudalarm/search", "POST cloudmonitor/compute/currents",
		"POST cloudsegroup/rule/add", "PUT resourcequota/modify", "POST cloudnetwork/acessrule/add", "POST tasklog/search"}
	for i, p := range []string{`{}`, `{"vm.vcpu.num":"1","vm.memory.mem":1,"vnic.portgroupid":"x"}`, `{"page.startnum":"1","page.everypagenum":"30"}`,
		`{"realnode":[{"realnode.ip":"1"}],"slb.name":"a"}`, `{"monitor.obj.type":"host","monitor.objids":"a,b"}`, `{"vm.id":null}`} {
		f.Add(uint8(i), base64.StdEncoding.EncodeToString([]byte(p)))
	}
	f.Add(uint8(3), "%%%")
	h := s.Handler()
	f.Fuzz(func(t *testing.T, which uint8, keyParam string) {
		method, path, _ := strings.Cut(paths[int(which)%len(paths)], " ")
		req := httptest.NewRequest(method, sim.BasePath+"/"+path, strings.NewReader(url.Values{sim.FormParam: {keyParam}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(sim.HeaderToken, tokenA)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		r, err := sim.DecodeResponse(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("undecodable response: %v", err)
		}
		if r.Result != sim.ResultOK && r.Result != sim.ResultFailed {
			t.Fatalf("result %q", r.Result)
		}
		if r.Result == sim.ResultFailed && r.ResultInfo == "" {
			t.Fatal("failure without resultinfo")
		}
	})
}
