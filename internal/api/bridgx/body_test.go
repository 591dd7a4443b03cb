package bridgx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseBody(t *testing.T) {
	b, err := parseBody("application/json", []byte(`{"name":"x","disks":{"system_disk":{"size":50,},"data_disk":[{"size":"50",},],},"count":"3","ips":"10.0.0.1, 10.0.0.2",}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := b.num("count"); n != 3 || !ok || err != nil {
		t.Fatalf("count %d %v %v", n, ok, err)
	}
	if ips, err := b.strs("ips"); err != nil || len(ips) != 2 || ips[1] != "10.0.0.2" {
		t.Fatalf("ips %v %v", ips, err)
	}
	var db disksBody
	if _, err := b.into("disks", &db); err != nil {
		t.Fatal(err)
	}
	d, err := db.disks()
	if err != nil || d.SystemDisk.Size != 50 || len(d.DataDisks) != 1 || d.DataDisks[0].Size != 50 {
		t.Fatalf("disks %+v %v", d, err)
	}
	f, err := parseBody("application/x-www-form-urlencoded", []byte("vpc_id=vpc-1&switch_name=a"))
	if err != nil || f["vpc_id"] != "vpc-1" {
		t.Fatalf("form %v %v", f, err)
	}
	if _, err := parseBody("application/json", []byte(`[1]`)); err == nil {
		t.Fatal("a list was taken for an object")
	}
	tags, _, err := body{"tags": "a=1, b=2"}.tagsOf("tags")
	if err != nil || tags["b"] != "2" {
		t.Fatalf("tags %v %v", tags, err)
	}
	tags, _, err = body{"tags": []any{map[string]any{"key": "k", "value": "v"}}}.tagsOf("tags")
	if err != nil || tags["k"] != "v" {
		t.Fatalf("tags %v %v", tags, err)
	}
}

func FuzzRelaxJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,}`, `{"a":[1,2,],}`, `{"s":",}"}`, `{"s":"\",]"}`, `[]`, `{`, `,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := RelaxJSON(in)
		// Valid JSON means the same after relaxing.
		var a, b any
		if json.Unmarshal(in, &a) == nil {
			if err := json.Unmarshal(out, &b); err != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("relaxing changed valid JSON %q into %q (%v)", in, out, err)
			}
		}
		if len(out) > len(in) || (bytes.Equal(in, out) && bytes.Contains(in, []byte(",}")) && !bytes.Contains(in, []byte(`"`))) {
			t.Fatalf("relax %q → %q", in, out)
		}
		_, _ = parseBody("application/json", in)
	})
}
