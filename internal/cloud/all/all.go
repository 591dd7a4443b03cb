// Package all pulls every cloud driver into a build: import it for its side
// effects, and each driver registers itself with package cloud.
//
//	import _ "github.com/skyfold/skyfold/internal/cloud/all"
package all

import (
	// Aliyun (Alibaba Cloud).
	_ "github.com/skyfold/skyfold/internal/cloud/aliyun"
	// StarVCenter (private cloud).
	_ "github.com/skyfold/skyfold/internal/cloud/starvcenter"
)
