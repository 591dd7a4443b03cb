package cloudkitty_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// send sends a request and returns the status, the headers and the body.
func (c *client) send(method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Auth-Token", c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// TestCloudKittyExactBehaviour checks the statuses, headers and fault
// strings CloudKitty 17's v1 controllers give, where clients can tell.
func TestCloudKittyExactBehaviour(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) { exactBehaviour(t, kind) })
	}
}

func exactBehaviour(t *testing.T, kind string) {
	c := startApp(t, kind)
	const ps = "/v1/rating/module_config/pyscripts/scripts"

	// Creates answer 201 with the new object's URL: the collection's URL
	// as requested (with or without its trailing slash) and the id.
	created := func(path string, body map[string]any, idKey string) string {
		t.Helper()
		st, hdr, raw := c.send("POST", path, body)
		var obj map[string]any
		_ = json.Unmarshal(raw, &obj)
		id, _ := obj[idKey].(string)
		if st != 201 || id == "" {
			t.Fatalf("POST %s: %d %s", path, st, raw)
		}
		coll := path
		if coll[len(coll)-1] == '/' {
			coll = coll[:len(coll)-1]
		}
		if got, want := hdr.Get("Location"), c.base+coll+"/"+id; got != want {
			t.Errorf("POST %s: Location %q, want %q", path, got, want)
		}
		return id
	}
	svc := created(hm+"/services", map[string]any{"name": "instance"}, "service_id")
	field := created(hm+"/fields/", map[string]any{"name": "flavor", "service_id": svc}, "field_id")
	group := created(hm+"/groups", map[string]any{"name": "g"}, "group_id")
	mapping := created(hm+"/mappings", map[string]any{"field_id": field, "value": "m1.small", "cost": "1", "type": "flat"}, "mapping_id")
	created(hm+"/thresholds/", map[string]any{"service_id": svc, "level": "10", "cost": "0.9", "type": "rate", "group_id": group}, "threshold_id")
	script := created(ps, map[string]any{"name": "s", "data": "x = 1"}, "script_id")

	// PUT of a script answers 201, with the script's URL.
	st, hdr, raw := c.send("PUT", ps+"/"+script, map[string]any{"name": "s", "data": "x = 2"})
	if st != 201 || hdr.Get("Location") != c.base+ps+"/"+script {
		t.Errorf("PUT script: %d Location %q: %s", st, hdr.Get("Location"), raw)
	}

	// Fault strings as CloudKitty words them.
	for _, f := range []struct {
		method, path string
		body         any
		status       int
		text         string
	}{
		{"GET", ps + "/42", nil, 404, "No such script: None (UUID: 42)"},
		{"PUT", ps + "/42", map[string]any{"name": "s", "data": "x = 1"}, 404, "No such script: None (UUID: 42)"},
		{"DELETE", ps + "/42", nil, 404, "No such script: None (UUID: 42)"},
		{"GET", hm + "/services/42", nil, 404, "No such service: None (UUID: 42)"},
		{"DELETE", hm + "/services/42", nil, 404, "No such service: None (UUID: 42)"},
		{"DELETE", hm + "/services", map[string]any{"service_id": "42"}, 404, "No such service: None (UUID: 42)"},
		{"GET", hm + "/groups/42", nil, 404, "No such group: None (UUID: 42)"},
		{"DELETE", hm + "/groups/42", nil, 404, "No such group: None (UUID: 42)"},
		{"GET", hm + "/fields/42", nil, 404, "No such field: 42"},
		{"GET", hm + "/mappings/42", nil, 404, "No such mapping: 42"},
		{"DELETE", hm + "/thresholds/42", nil, 404, "No such threshold: 42"},
		{"GET", hm + "/mappings/group?mapping_id=" + mapping, nil, 404, "Mapping has no group (UUID: " + mapping + ")"},
		{"GET", hm + "/mappings/group?mapping_id=42", nil, 404, "Mapping has no group (UUID: 42)"},
		{"GET", hm + "/thresholds/group?threshold_id=42", nil, 404, "Threshold has no group (UUID: 42)"},
		{"GET", "/v1/rating/modules/nope", nil, 404, "Module not found."},
		{"PUT", "/v1/rating/modules/nope", map[string]any{"enabled": true}, 404, "Module not found."},
		{"GET", "/v1/info/metrics/nope", nil, 404, "nope"},
		// pecan routes a path under a controller without get_one to no
		// method: 405, whatever the verb.
		{"GET", "/v1/rating/module_config/pyscripts/script", nil, 405, "The method GET is not allowed for this resource."},
		{"POST", "/v1/rating/module_config/pyscripts/script", map[string]any{}, 405, "The method POST is not allowed for this resource."},
		{"GET", "/v1/rating/module_config/pyscripts", nil, 405, "The method GET is not allowed for this resource."},
		{"GET", hm + "/service", nil, 405, "The method GET is not allowed for this resource."},
		{"GET", "/v1/rating/nope/", nil, 405, "The method GET is not allowed for this resource."},
		{"GET", "/v1/report/nope", nil, 405, "The method GET is not allowed for this resource."},
		{"GET", "/v1/storage/dataframes/nope", nil, 405, "The method GET is not allowed for this resource."},
		{"PATCH", hm + "/services/" + svc, map[string]any{}, 405, "The method PATCH is not allowed for this resource."},
		// Below a controller taking an id, an unknown path is not found.
		{"GET", hm + "/services/" + svc + "/nope/more", nil, 404, "The resource could not be found."},
		// The noop module has no configuration.
		{"GET", "/v1/rating/module_config/noop", nil, 409, "Module is not configurable"},
		{"POST", "/v1/rating/module_config/noop/x", map[string]any{}, 409, "Module is not configurable"},
	} {
		c.fault(f.method, f.path, f.body, f.status, f.text)
	}

	// A group's rules are listed without checking the group, as CloudKitty
	// does: an unknown group has none.
	if l := c.obj("GET", hm+"/groups/mappings?group_id=42", nil, 200)["mappings"].([]any); len(l) != 0 {
		t.Errorf("mappings of an unknown group = %v", l)
	}
	if l := c.obj("GET", hm+"/groups/thresholds?group_id="+group, nil, 200)["thresholds"].([]any); len(l) != 1 {
		t.Errorf("thresholds of the group = %v", l)
	}

	// GET /v1/collector is CloudKitty's routing stub: 200, no body.
	if st, raw := c.do("GET", "/v1/collector", nil); st != 200 || len(raw) != 0 {
		t.Errorf("GET /v1/collector: %d %q", st, raw)
	}
	// /v1/billing is CloudKitty's older name of /v1/rating.
	if mods := c.obj("GET", "/v1/billing/modules/", nil, 200)["modules"].([]any); len(mods) != 3 {
		t.Errorf("billing modules = %v", mods)
	}
}
