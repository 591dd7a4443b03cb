package cloud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// OpenFunc opens one account of a provider. Drivers register one per provider.
type OpenFunc func(ctx context.Context, cfg AccountConfig) (Provider, error)

// ProviderInfo describes a provider Skyfold knows, whether or not a driver
// for it is compiled in.
type ProviderInfo struct {
	// Name is the canonical name (Cloudpods' spelling), e.g. "Aliyun".
	Name string `json:"name"`
	// Aliases are other accepted spellings, e.g. BridgX's "AlibabaCloud".
	Aliases       []string `json:"aliases,omitempty"`
	Brand         string   `json:"brand"`
	IsPublicCloud bool     `json:"is_public_cloud"`
	IsOnPremise   bool     `json:"is_on_premise"`
	// Capabilities is what the driver implements, or, without a driver, what
	// the cloud offers.
	Capabilities Capabilities `json:"capabilities"`
	// HasDriver reports whether a driver is registered.
	HasDriver bool `json:"has_driver"`
}

var allCaps = Capabilities{CapAccount, CapBalance, CapBill, CapCompute, CapNetwork,
	CapSecurityGroup, CapBlockStorage, CapSnapshot, CapEIP, CapObjectStore, CapRDS,
	CapCache, CapKafka, CapMonitor}

var privateCaps = Capabilities{CapAccount, CapCompute, CapNetwork, CapSecurityGroup,
	CapBlockStorage, CapSnapshot, CapEIP, CapMonitor}

// known is the providers named by the API documents.
var known = []ProviderInfo{
	{Name: "Aliyun", Aliases: []string{"AlibabaCloud", "Alibaba"}, Brand: "Aliyun", IsPublicCloud: true, Capabilities: allCaps},
	{Name: "Aws", Aliases: []string{"AWSCloud", "AWS"}, Brand: "Aws", IsPublicCloud: true, Capabilities: allCaps},
	{Name: "Qcloud", Aliases: []string{"TencentCloud", "Tencent"}, Brand: "Qcloud", IsPublicCloud: true, Capabilities: allCaps},
	{Name: "Huawei", Aliases: []string{"HuaweiCloud"}, Brand: "Huawei", IsPublicCloud: true, Capabilities: allCaps},
	{Name: "Baidu", Aliases: []string{"BaiduCloud"}, Brand: "Baidu", IsPublicCloud: true, Capabilities: allCaps},
	{Name: "StarVCenter", Brand: "StarVCenter", IsOnPremise: true, Capabilities: privateCaps},
	{Name: "OpenStack", Brand: "OpenStack", IsOnPremise: true, Capabilities: privateCaps},
}

type registry struct {
	mu      sync.RWMutex
	infos   map[string]*ProviderInfo // canonical name -> info
	names   map[string]string        // lower-case name or alias -> canonical name
	drivers map[string]OpenFunc      // canonical name -> driver
}

var reg = newRegistry()

func newRegistry() *registry {
	r := &registry{infos: map[string]*ProviderInfo{}, names: map[string]string{}, drivers: map[string]OpenFunc{}}
	for _, info := range known {
		r.addInfo(info)
	}
	return r
}

func (r *registry) addInfo(info ProviderInfo) {
	info.Aliases = slices.Clone(info.Aliases)
	info.Capabilities = slices.Clone(info.Capabilities)
	r.infos[info.Name] = &info
	r.names[strings.ToLower(info.Name)] = info.Name
	for _, a := range info.Aliases {
		r.names[strings.ToLower(a)] = info.Name
	}
}

// Canonical returns the canonical name for a provider name or alias, matched
// case-insensitively.
func Canonical(name string) (string, bool) {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	c, ok := reg.names[strings.ToLower(strings.TrimSpace(name))]
	return c, ok
}

// Lookup returns what Skyfold knows of a provider name or alias.
func Lookup(name string) (ProviderInfo, bool) {
	c, ok := Canonical(name)
	if !ok {
		return ProviderInfo{}, false
	}
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	return reg.info(c), true
}

func (r *registry) info(canonical string) ProviderInfo {
	info := *r.infos[canonical]
	info.Aliases = slices.Clone(info.Aliases)
	info.Capabilities = slices.Clone(info.Capabilities)
	_, info.HasDriver = r.drivers[canonical]
	return info
}

// Providers lists every known provider, sorted by name.
func Providers() []ProviderInfo {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	out := make([]ProviderInfo, 0, len(reg.infos))
	for name := range reg.infos {
		out = append(out, reg.info(name))
	}
	slices.SortFunc(out, func(a, b ProviderInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Register installs the driver for a provider; drivers call it from init.
// name may be a known name or alias; caps is what the driver implements.
// It panics on an unknown name or a second driver for the same provider,
// which are programming errors.
func Register(name string, caps Capabilities, open OpenFunc) {
	c, ok := Canonical(name)
	if !ok {
		panic(fmt.Sprintf("cloud: Register of unknown provider %q (use RegisterProvider first)", name))
	}
	if open == nil {
		panic("cloud: Register with nil OpenFunc for " + c)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if _, dup := reg.drivers[c]; dup {
		panic("cloud: Register called twice for " + c)
	}
	reg.drivers[c] = open
	reg.infos[c].Capabilities = slices.Clone(caps)
}

// RegisterProvider adds a provider the API documents do not name (a private
// build's own cloud). It panics if the name or an alias is taken.
func RegisterProvider(info ProviderInfo) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, n := range append([]string{info.Name}, info.Aliases...) {
		if _, taken := reg.names[strings.ToLower(n)]; taken {
			panic("cloud: RegisterProvider: name taken: " + n)
		}
	}
	reg.addInfo(info)
}

// Open opens an account with the named provider's driver. An unknown name
// gives ErrInvalidParameter; a known provider without a driver gives
// ErrNotSupported.
func Open(ctx context.Context, name string, cfg AccountConfig) (Provider, error) {
	c, ok := Canonical(name)
	if !ok {
		return nil, &Error{Kind: ErrInvalidParameter, Op: "Open", Message: fmt.Sprintf("unknown provider %q", name)}
	}
	reg.mu.RLock()
	open := reg.drivers[c]
	reg.mu.RUnlock()
	if open == nil {
		return nil, &Error{Kind: ErrNotSupported, Provider: c, Op: "Open", Message: "no driver for provider " + c}
	}
	return open(ctx, cfg)
}
