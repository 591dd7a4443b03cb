package aliyun

import (
	gojson "github.com/goccy/go-json"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/skyfold/skyfold/internal/cloud"
)

// providerName is the canonical name the driver registers.
const providerName = "Aliyun"

// defaultRegion serves account-level calls when the account names none.
const defaultRegion = "cn-hangzhou"

// maxPageSize is the largest page most Aliyun listings accept.
const maxPageSize = 100

// capabilities is what this driver implements.
var capabilities = cloud.Capabilities{
	cloud.CapAccount, cloud.CapBalance, cloud.CapBill, cloud.CapCompute, cloud.CapNetwork,
	cloud.CapSecurityGroup, cloud.CapBlockStorage, cloud.CapSnapshot, cloud.CapEIP,
	cloud.CapObjectStore, cloud.CapRDS, cloud.CapCache, cloud.CapKafka, cloud.CapMonitor,
}

func init() {
	cloud.Register(providerName, capabilities, func(ctx context.Context, cfg cloud.AccountConfig) (cloud.Provider, error) {
		return Open(ctx, cfg)
	})
}

// Provider is one Aliyun account.
type Provider struct {
	cfg      cloud.AccountConfig
	override *endpoint // nil: real per-region endpoints
	httpc    *http.Client
	sdkHTTP  sdkHTTP
	log      *slog.Logger
	pageSize int
	timeout  time.Duration

	mu      sync.Mutex
	clients map[string]any // "product|region" -> SDK client

	acctMu    sync.Mutex
	accountID string
}

// Open validates cfg and returns a Provider; it does no I/O (see
// ValidateCredentials).
func Open(_ context.Context, cfg cloud.AccountConfig) (*Provider, error) {
	if strings.TrimSpace(cfg.AccessKeyID) == "" || strings.TrimSpace(cfg.AccessKeySecret) == "" {
		return nil, &cloud.Error{Kind: cloud.ErrInvalidCredential, Provider: providerName, Op: "Open",
			Message: "access key id and secret are required"}
	}
	p := &Provider{cfg: cfg, clients: map[string]any{}, pageSize: maxPageSize, timeout: 60 * time.Second}
	if cfg.Endpoint != "" {
		ep, err := parseEndpoint(cfg.Endpoint)
		if err != nil {
			return nil, &cloud.Error{Kind: cloud.ErrInvalidParameter, Provider: providerName, Op: "Open", Message: err.Error()}
		}
		p.override = &ep
	}
	if v := cfg.Options["page_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, "Open", "option page_size %q: want 1..%d", v, maxPageSize)
		}
		p.pageSize = n
	}
	if v := cfg.Options["read_timeout"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, "Open", "option read_timeout %q: want a positive duration", v)
		}
		p.timeout = d
	}
	if cfg.DefaultRegion == "" {
		p.cfg.DefaultRegion = defaultRegion
	}
	p.log = cfg.Logger
	if p.log == nil {
		p.log = slog.Default()
	}
	p.httpc = cfg.HTTPClient
	if p.httpc == nil {
		p.httpc = newHTTPClient(p.timeout)
	}
	p.sdkHTTP = sdkHTTP{client: p.httpc}
	return p, nil
}

// Name returns "Aliyun".
func (p *Provider) Name() string { return providerName }

// Capabilities lists every capability group: the driver implements them all.
func (p *Provider) Capabilities() cloud.Capabilities { return capabilities }

// Close releases idle connections.
func (p *Provider) Close() error {
	if p.cfg.HTTPClient == nil {
		p.httpc.CloseIdleConnections()
	}
	return nil
}

// Region returns the client for one region.
func (p *Provider) Region(id string) (cloud.RegionClient, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, "Region", "region id is required")
	}
	return &Region{NotSupportedRegion: cloud.NotSupportedRegion{ProviderName: providerName}, p: p, id: id}, nil
}

// config builds the SDK configuration for one region.
func (p *Provider) config(region string) *openapiutil.Config {
	ms := int(p.timeout / time.Millisecond)
	c := &openapiutil.Config{
		AccessKeyId:     dara.String(p.cfg.AccessKeyID),
		AccessKeySecret: dara.String(p.cfg.AccessKeySecret),
		RegionId:        dara.String(region),
		ReadTimeout:     dara.Int(ms),
		ConnectTimeout:  dara.Int(10000),
		HttpClient:      p.sdkHTTP,
		UserAgent:       dara.String("skyfold"),
	}
	if p.override != nil {
		c.Endpoint = dara.String(p.override.Host)
		c.Protocol = dara.String(p.override.Scheme)
	}
	return c
}

// client returns the cached SDK client for product and region, making it
// with mk the first time.
func client[T any](p *Provider, product, region string, mk func(*openapiutil.Config) (T, error)) (T, error) {
	key := product + "|" + region
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[key]; ok {
		return c.(T), nil
	}
	c, err := mk(p.config(region))
	if err != nil {
		var zero T
		return zero, &cloud.Error{Kind: cloud.ErrInvalidParameter, Provider: providerName, Op: product + ".NewClient",
			Message: fmt.Sprintf("region %s: %v", region, err), Err: err}
	}
	p.clients[key] = c
	return c, nil
}

// disableSDKError makes the darabonba core return its typed errors (which
// keep the request id) instead of flattening them.
func disableSDKError(c *openapi.Client) {
	c.DisableSDKError = dara.Bool(true)
}

// runtime is the per-call SDK runtime: no SDK-level retries (WithRetry owns
// retrying) and our timeouts.
func (p *Provider) runtime() *dara.RuntimeOptions {
	return &dara.RuntimeOptions{
		Autoretry:      dara.Bool(false),
		ReadTimeout:    dara.Int(int(p.timeout / time.Millisecond)),
		ConnectTimeout: dara.Int(10000),
	}
}

// invoke runs one SDK call with an exchange recorder, maps its error, and
// converts a panic inside the SDK or the response mapping into an error.
func invoke[T any](ctx context.Context, op string, fn func(ctx context.Context) (T, error)) (out T, err error) {
	ctx, ex := withExchange(ctx)
	defer func() {
		if r := recover(); r != nil {
			_, rid, _, _ := ex.snapshot()
			var zero T
			out = zero
			err = &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op, RequestID: rid,
				Message: fmt.Sprintf("unexpected response: %v", r)}
		}
	}()
	out, err = fn(ctx)
	if err != nil {
		err = wrapErr(ctx, op, err, ex)
		var ce *cloud.Error
		if errors.As(err, &ce) && ce.RequestID == "" {
			_, ce.RequestID, _, _ = ex.snapshot()
		}
		return out, err
	}
	return out, nil
}

// rpcParams describes a generic RPC call for CallApiWithCtx.
func rpcParams(action, version string) *openapiutil.Params {
	return &openapiutil.Params{
		Action:      dara.String(action),
		Version:     dara.String(version),
		Protocol:    dara.String("HTTPS"),
		Pathname:    dara.String("/"),
		Method:      dara.String("POST"),
		AuthType:    dara.String("AK"),
		Style:       dara.String("RPC"),
		ReqBodyType: dara.String("formData"),
		BodyType:    dara.String("json"),
	}
}

// callRPC sends a generic RPC call through a product client's core and
// returns the JSON body as a map (numbers as json.Number, so money stays
// exact). It is used where the SDK model would lose information or the
// product module has no context-aware methods.
func (p *Provider) callRPC(ctx context.Context, c *openapi.Client, op, action, version string, query map[string]any) (map[string]any, error) {
	return invoke(ctx, op, func(ctx context.Context) (map[string]any, error) {
		req := &openapiutil.OpenApiRequest{Query: openapiutil.Query(query)}
		res, err := c.CallApiWithCtx(ctx, rpcParams(action, version), req, p.runtime())
		if err != nil {
			return nil, err
		}
		body, _ := res["body"].(map[string]any)
		if body == nil {
			return nil, missingField(op, "body", "")
		}
		return body, nil
	})
}

// maxBody bounds a response body the driver reads itself.
const maxBody = 256 << 20

// bodyBufs recycles the buffers response bodies are read into: a listing
// reads thousands of ~150 KB pages, and growing a fresh buffer for each
// was a third of the driver's time.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// callModel sends an RPC call built from an SDK request model through the
// darabonba core (signing, endpoint, error handling) and decodes the body
// straight into out: an SDK response-body model, or on the sync's listings
// one of the plain models of listing_models.go. The SDK's generated methods
// decode every response three times (JSON to map, map to JSON, JSON to
// struct); on listings of 100,000 instances that triples the cost, so hot
// paths use this instead.
func (p *Provider) callModel(ctx context.Context, c *openapi.Client, op, action, version string, req, out any) error {
	_, err := invoke(ctx, op, func(ctx context.Context) (struct{}, error) {
		params := rpcParams(action, version)
		params.BodyType = dara.String("binary")
		res, err := c.CallApiWithCtx(ctx, params, &openapiutil.OpenApiRequest{Query: openapiutil.Query(req)}, p.runtime())
		if err != nil {
			return struct{}{}, err
		}
		body, ok := res["body"].(io.ReadCloser)
		if !ok || body == nil {
			return struct{}{}, missingField(op, "body", "")
		}
		defer body.Close()
		buf := bodyBufs.Get().(*bytes.Buffer)
		defer func() {
			if buf.Cap() <= 4<<20 { // keep page-sized buffers, not a rare giant
				buf.Reset()
				bodyBufs.Put(buf)
			}
		}()
		if _, err := buf.ReadFrom(io.LimitReader(body, maxBody)); err != nil {
			return struct{}{}, err
		}
		// Both decoders copy what they keep, so buf can be reused.
		return struct{}{}, decodeBody(op, buf.Bytes(), out)
	})
	return err
}

// decodeBody decodes a response body into out: strictly with a fast decoder
// first (on a listing it is most of the driver's time), then with the SDK's
// lenient converter (numbers in string fields and the like). An empty body
// leaves out as it is.
func decodeBody(op string, b []byte, out any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if gojson.Unmarshal(b, out) == nil {
		return nil
	}
	if !json.Valid(b) {
		return &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op,
			Message: describeBadResponse(nil, http.StatusOK, string(b[:min(len(b), maxHead)]))}
	}
	if v := reflect.ValueOf(out); v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().SetZero() // drop what the strict pass half-filled
	}
	if err := dara.Convert(json.RawMessage(b), out); err != nil {
		return &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op,
			Message: "response does not fit the model: " + err.Error()}
	}
	return nil
}
