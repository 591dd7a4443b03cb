package aliyun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// endpoint is a parsed endpoint override.
type endpoint struct {
	Scheme string // http or https
	Host   string // host[:port]
}

// URL returns the endpoint as a URL string.
func (e endpoint) URL() string { return e.Scheme + "://" + e.Host }

// parseEndpoint parses an endpoint override: "http://127.0.0.1:8080",
// "https://ecs.example.com", or a bare "host:port" (https). Paths other than
// "/", queries, fragments and user info are refused: they would be silently
// dropped by the SDK.
func parseEndpoint(raw string) (endpoint, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return endpoint{}, fmt.Errorf("empty endpoint")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return endpoint{}, fmt.Errorf("endpoint %q: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return endpoint{}, fmt.Errorf("endpoint %q: scheme must be http or https", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return endpoint{}, fmt.Errorf("endpoint %q: only scheme, host and port are allowed", raw)
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(host, " /\\@?#") {
		return endpoint{}, fmt.Errorf("endpoint %q: missing or bad host", raw)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return endpoint{}, fmt.Errorf("endpoint %q: bad port", raw)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return endpoint{}, fmt.Errorf("endpoint %q: bad port", raw)
	}
	return endpoint{Scheme: scheme, Host: u.Host}, nil
}

// exchange records what the transport saw of one HTTP exchange, so an error
// can be mapped even when the SDK could not parse the response.
type exchange struct {
	mu         sync.Mutex
	status     int
	requestID  string
	retryAfter time.Duration
	head       bytes.Buffer // the first bytes of the body
}

type exchangeKey struct{}

func withExchange(ctx context.Context) (context.Context, *exchange) {
	ex := &exchange{}
	return context.WithValue(ctx, exchangeKey{}, ex), ex
}

func (ex *exchange) snapshot() (status int, requestID string, retryAfter time.Duration, head string) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.status, ex.requestID, ex.retryAfter, ex.head.String()
}

// maxHead is how much of a response body an exchange keeps.
const maxHead = 512

// headReader copies the first maxHead bytes it reads into an exchange.
type headReader struct {
	io.ReadCloser
	ex *exchange
}

func (r headReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		r.ex.mu.Lock()
		if room := maxHead - r.ex.head.Len(); room > 0 {
			r.ex.head.Write(p[:min(n, room)])
		}
		r.ex.mu.Unlock()
	}
	return n, err
}

// sdkHTTP adapts an *http.Client to the SDK's HttpClient interface and
// records each exchange in the request's context.
type sdkHTTP struct{ client *http.Client }

// Call sends the request with the shared client (the SDK's transport
// argument is ignored: ours pools connections across product clients).
func (h sdkHTTP) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	resp, err := h.client.Do(req)
	if err != nil || resp == nil {
		return resp, err
	}
	if ex, ok := req.Context().Value(exchangeKey{}).(*exchange); ok {
		ex.mu.Lock()
		ex.status = resp.StatusCode
		ex.requestID = firstNonEmpty(resp.Header.Get("x-acs-request-id"), resp.Header.Get("x-oss-request-id"))
		ex.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		ex.head.Reset()
		ex.mu.Unlock()
		if resp.Body != nil {
			resp.Body = headReader{ReadCloser: resp.Body, ex: ex}
		}
	}
	return resp, nil
}

// parseRetryAfter reads an HTTP Retry-After header: delay seconds or an
// HTTP date. Nonsense, negative and past values give 0; values are capped
// at one hour.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const maxHint = time.Hour
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs != secs || secs <= 0 { // NaN or not in the future
			return 0
		}
		if secs >= maxHint.Seconds() {
			return maxHint
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d <= 0 {
			return 0
		}
		return min(d, maxHint)
	}
	return 0
}

// newHTTPClient builds the pooled client every product client shares.
func newHTTPClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
