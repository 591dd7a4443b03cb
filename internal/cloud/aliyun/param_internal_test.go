package aliyun

import (
	"testing"

	"github.com/skyfold/skyfold/internal/cloud"
)

func TestParamOfRefusal(t *testing.T) {
	cases := []struct{ code, message, want string }{
		{"InvalidVSwitchId.NotFound", "The specified vSwitch does not exist.", cloud.ParamSubnet},
		{"InvalidInstanceType.ValueNotSupported", "The specified InstanceType is not supported.", cloud.ParamInstanceType},
		{"InvalidImageId.NotFound", "The specified ImageId does not exist.", cloud.ParamImage},
		{"InvalidPassword.Malformed", "The specified parameter Password is not valid.", cloud.ParamPassword},
		{"InvalidRegionId.NotFound", "The specified RegionId does not exist.", cloud.ParamRegion},
		{"InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.", cloud.ParamSecurityGroup},
		{"InvalidParameter", "Something is wrong.", ""},
	}
	for _, c := range cases {
		if got := paramOf(c.code, c.message); got != c.want {
			t.Errorf("paramOf(%q) = %q, want %q", c.code, got, c.want)
		}
	}
}
