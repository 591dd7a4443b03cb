package ids

import (
	"regexp"
	"testing"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-([47])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestFormats(t *testing.T) {
	if m := uuidRE.FindStringSubmatch(New()); m == nil || m[1] != "4" {
		t.Fatalf("New is not a version 4 UUID: %v", m)
	}
	seen := map[string]bool{}
	prev := NewOrdered()
	for i := 0; i < 2000; i++ {
		id := NewOrdered()
		if m := uuidRE.FindStringSubmatch(id); m == nil || m[1] != "7" {
			t.Fatalf("NewOrdered %q is not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
		// Ids of different milliseconds sort by time.
		if id[:13] < prev[:13] {
			t.Fatalf("%s sorts before the earlier %s", id, prev)
		}
		prev = id
		if i%500 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	before := NewOrdered()
	time.Sleep(2 * time.Millisecond)
	if after := NewOrdered(); after <= before {
		t.Fatalf("%s is not after %s", after, before)
	}
}
