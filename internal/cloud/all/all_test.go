package all_test

import (
	"testing"

	"github.com/skyfold/skyfold/internal/cloud"
	_ "github.com/skyfold/skyfold/internal/cloud/all"
)

func TestDriversRegistered(t *testing.T) {
	for _, name := range []string{"Aliyun", "AlibabaCloud", "StarVCenter"} {
		info, ok := cloud.Lookup(name)
		if !ok || !info.HasDriver || len(info.Capabilities) == 0 {
			t.Errorf("Lookup(%q) = %+v, %v; want a registered driver", name, info, ok)
		}
	}
	if info, _ := cloud.Lookup("TencentCloud"); info.HasDriver {
		t.Errorf("TencentCloud has a driver?")
	}
}
