package starvcenter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// providerName is the canonical name the driver registers.
const providerName = "StarVCenter"

// capabilities is what the driver implements. EIPs are listed and released
// (IP mappings) but cannot be allocated unbound; see AllocateEIP.
var capabilities = cloud.Capabilities{
	cloud.CapAccount, cloud.CapCompute, cloud.CapNetwork, cloud.CapSecurityGroup,
	cloud.CapBlockStorage, cloud.CapSnapshot, cloud.CapEIP, cloud.CapMonitor,
}

func init() {
	cloud.Register(providerName, capabilities, func(ctx context.Context, cfg cloud.AccountConfig) (cloud.Provider, error) {
		return Open(ctx, cfg)
	})
}

// Provider is one StarVCenter tenant on one StarVCenter server.
type Provider struct {
	cloud.NotSupportedProvider
	cfg       cloud.AccountConfig
	t         *transport
	log       *slog.Logger
	loc       *time.Location
	tasks     taskPolicy
	host      string
	regionID  string
	zoneID    string
	tenantID  string // AccessKeyID; "" when not configured
	accountID string
	types     []cloud.InstanceType
}

// Open checks cfg and returns a Provider; it does no I/O (see
// ValidateCredentials).
func Open(_ context.Context, cfg cloud.AccountConfig) (*Provider, error) {
	const op = "Open"
	token := strings.TrimSpace(cfg.AccessKeySecret)
	if token == "" {
		return nil, cloud.Errorf(cloud.ErrInvalidCredential, providerName, op, "the tenant token (AccessKeySecret) is required")
	}
	base, host, err := baseURL(cfg.Endpoint)
	if err != nil {
		return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "endpoint: %v", err)
	}
	p := &Provider{
		NotSupportedProvider: cloud.NotSupportedProvider{ProviderName: providerName},
		cfg:                  cfg,
		log:                  cfg.Logger,
		loc:                  defaultZone,
		tasks:                taskPolicy{interval: time.Second, max: 10 * time.Second, timeout: 10 * time.Minute},
		host:                 host,
		tenantID:             strings.TrimSpace(cfg.AccessKeyID),
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	o := cfg.Options
	readTimeout := 60 * time.Second
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{
		{"task_poll_interval", &p.tasks.interval}, {"task_poll_max", &p.tasks.max},
		{"task_timeout", &p.tasks.timeout}, {"read_timeout", &readTimeout},
	} {
		if v := strings.TrimSpace(o[d.key]); v != "" {
			n, err := time.ParseDuration(v)
			if err != nil || n <= 0 {
				return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "option %s %q: want a positive duration", d.key, v)
			}
			*d.dst = n
		}
	}
	p.tasks.max = max(p.tasks.max, p.tasks.interval)
	if v := strings.TrimSpace(o["time_zone"]); v != "" {
		loc, err := parseZone(v)
		if err != nil {
			return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "option time_zone %q: %v", v, err)
		}
		p.loc = loc
	}
	p.regionID = strings.TrimSpace(o["region"])
	if p.regionID == "" {
		p.regionID = "starvcenter-" + slug(host)
	}
	p.zoneID = p.regionID + "-a"
	p.types = defaultTypes()
	if v := strings.TrimSpace(o["instance_types"]); v != "" {
		p.types = nil
		for _, s := range strings.Split(v, ",") {
			cpu, mem, err := parseInstanceType(strings.TrimSpace(s))
			if err != nil {
				return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "option instance_types: %v", err)
			}
			p.types = append(p.types, instanceType(cpu, mem))
		}
	}
	if p.tenantID != "" {
		p.accountID = p.tenantID
	} else {
		sum := sha256.Sum256([]byte(token))
		p.accountID = "token-" + hex.EncodeToString(sum[:8])
	}
	httpc := cfg.HTTPClient
	if httpc == nil {
		httpc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	p.t = &transport{base: base, token: token, httpc: httpc, timeout: readTimeout, log: p.log}
	return p, nil
}

// baseURL turns the configured endpoint into BaseURL: an endpoint without a
// path gets the document's path; one with a path is taken as BaseURL.
func baseURL(endpoint string) (base, host string, err error) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "", "", errors.New("the StarVCenter server URL (Endpoint) is required")
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return "", "", errors.New("no host")
	}
	path := strings.TrimRight(u.Path, "/")
	if path == "" {
		path = basePath
	}
	return u.Scheme + "://" + u.Host + path, u.Hostname(), nil
}

// slug turns a host name into an id fragment: lower case, letters, digits
// and '-'.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "default"
	}
	return out
}

// parseZone reads "Asia/Shanghai", "UTC" or an offset such as "+08:00".
func parseZone(v string) (*time.Location, error) {
	if len(v) == 6 && (v[0] == '+' || v[0] == '-') && v[3] == ':' {
		h, err1 := strconv.Atoi(v[1:3])
		m, err2 := strconv.Atoi(v[4:6])
		if err1 == nil && err2 == nil && h <= 14 && m < 60 {
			off := h*3600 + m*60
			if v[0] == '-' {
				off = -off
			}
			return time.FixedZone(v, off), nil
		}
	}
	return time.LoadLocation(v)
}

// Name returns "StarVCenter".
func (p *Provider) Name() string { return providerName }

// Capabilities lists what the driver implements.
func (p *Provider) Capabilities() cloud.Capabilities { return capabilities }

// Close releases idle connections of a client the driver made.
func (p *Provider) Close() error {
	if p.cfg.HTTPClient == nil {
		p.t.httpc.CloseIdleConnections()
	}
	return nil
}

// ValidateCredentials checks the token with the cheapest authenticated call
// (the VM model list); a bad token gives ErrInvalidCredential. When a tenant
// id is configured it must be the token's tenant.
func (p *Provider) ValidateCredentials(ctx context.Context) error {
	const op = "ValidateCredentials"
	if _, err := p.t.call(ctx, op, http.MethodGet, "cloudvm/model", nil); err != nil {
		return err
	}
	if p.tenantID == "" {
		return nil
	}
	_, err := p.t.call(ctx, op, http.MethodPost, "resourcequota/usableQuota", params{"tenant.id": p.tenantID})
	if errors.Is(err, cloud.ErrNotFound) || errors.Is(err, cloud.ErrForbidden) {
		return &cloud.Error{Kind: cloud.ErrInvalidCredential, Provider: providerName, Op: op,
			Message: "the configured tenant id (AccessKeyID) " + p.tenantID + " is not the token's tenant", Err: err}
	}
	return err
}

// Account returns the tenant: its id is AccessKeyID, or, when that is not
// configured, a digest of the token.
func (p *Provider) Account(context.Context) (cloud.Account, error) {
	return cloud.Account{ID: p.accountID, Name: "StarVCenter tenant " + p.accountID + "@" + p.host,
		Environment: p.cfg.Environment}, nil
}

// SubAccounts returns the tenant itself: StarVCenter has no sub-accounts.
func (p *Provider) SubAccounts(ctx context.Context) ([]cloud.SubAccount, error) {
	a, err := p.Account(ctx)
	if err != nil {
		return nil, err
	}
	return []cloud.SubAccount{{ID: a.ID, Name: a.Name, Status: "normal"}}, nil
}

// Bills is not supported: a private cloud sends no bills; Skyfold's rating
// engine prices StarVCenter usage instead.
func (p *Provider) Bills(context.Context, cloud.BillQuery, cloud.PageRequest) (cloud.Page[cloud.BillLine], error) {
	return cloud.Page[cloud.BillLine]{}, &cloud.Error{Kind: cloud.ErrNotSupported, Provider: providerName, Op: "Bills",
		Message: "a private cloud sends no bills; usage is priced by rating"}
}

// Balance is not supported: a private cloud has no account balance.
func (p *Provider) Balance(context.Context) (cloud.Balance, error) {
	return cloud.Balance{}, &cloud.Error{Kind: cloud.ErrNotSupported, Provider: providerName, Op: "Balance",
		Message: "a private cloud has no account balance"}
}

// Regions returns the one region of the server.
func (p *Provider) Regions(context.Context) ([]cloud.Region, error) {
	return []cloud.Region{{ID: p.regionID, LocalName: "StarVCenter " + p.host, Endpoint: p.t.base}}, nil
}

// Region returns the client of the server's one region.
func (p *Provider) Region(id string) (cloud.RegionClient, error) {
	if strings.TrimSpace(id) != p.regionID {
		return nil, cloud.Errorf(cloud.ErrNotFound, providerName, "Region", "unknown region %q (this server has %q)", id, p.regionID)
	}
	return &Region{NotSupportedRegion: cloud.NotSupportedRegion{ProviderName: providerName}, p: p}, nil
}

// Extensions returns the StarVCenter operations the SPI lacks.
func (p *Provider) Extensions() Extensions {
	return &Region{NotSupportedRegion: cloud.NotSupportedRegion{ProviderName: providerName}, p: p}
}

// Hosts lists the platform's physical hosts: a server is one platform, so
// they are the account's as well as its one region's.
func (p *Provider) Hosts(ctx context.Context) ([]Host, error) { return p.Extensions().Hosts(ctx) }

// Storages lists the platform's storage pools.
func (p *Provider) Storages(ctx context.Context) ([]Storage, error) {
	return p.Extensions().Storages(ctx)
}

// Quota reads the tenant's quota.
func (p *Provider) Quota(ctx context.Context) (Quota, error) { return p.Extensions().Quota(ctx) }

// Region is the one region of a StarVCenter server; it also implements
// Extensions.
type Region struct {
	cloud.NotSupportedRegion
	p *Provider
}

// RegionID returns the region's id.
func (r *Region) RegionID() string { return r.p.regionID }

// Zones returns the region's one zone.
func (r *Region) Zones(context.Context) ([]cloud.Zone, error) {
	ids := make([]string, len(r.p.types))
	for i, t := range r.p.types {
		ids[i] = t.ID
	}
	return []cloud.Zone{{ID: r.p.zoneID, RegionID: r.p.regionID, LocalName: "StarVCenter " + r.p.host, InstanceTypes: ids}}, nil
}

// meta builds the Meta of an object.
func (r *Region) meta(kind, id, name string, status cloud.Status, raw string) cloud.Meta {
	return cloud.Meta{ID: id, GlobalID: cloud.GlobalID(providerName, r.p.accountID, kind, id), Name: name,
		RegionID: r.p.regionID, ZoneID: r.p.zoneID, Status: status, RawStatus: raw}
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

// Interface guards.
var (
	_ cloud.Provider     = (*Provider)(nil)
	_ cloud.RegionClient = (*Region)(nil)
	_ Extensions         = (*Region)(nil)
	_ cloud.Hosts        = (*Provider)(nil)
	_ cloud.Quotas       = (*Provider)(nil)
)
