package aliyunsim

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Signature checking for Aliyun's two documented RPC schemes:
//
//   - signature v1: HMAC-SHA1 over METHOD&%2F&encode(sorted, encoded params),
//     keyed with secret+"&", base64, sent as the Signature parameter;
//   - ACS3-HMAC-SHA256: a canonical request (method, path, sorted query,
//     signed headers, payload hash) hashed and HMAC'd with the secret, sent in
//     the Authorization header.

const (
	acs3Algorithm  = "ACS3-HMAC-SHA256"
	maxRequestBody = 8 << 20
	clockSkew      = 15 * time.Minute
)

// rpcCall is one parsed RPC request before authentication.
type rpcCall struct {
	method  string
	query   url.Values
	form    url.Values
	body    []byte
	params  params
	action  string
	version string
	accessK string
	acs3    *acs3Auth // nil for signature v1
}

// parseRPC reads the query, the form body and the routing fields of a request.
func parseRPC(r *http.Request) (*rpcCall, *apiError) {
	c := &rpcCall{method: r.Method}
	var err error
	if c.query, err = url.ParseQuery(r.URL.RawQuery); err != nil {
		return nil, errf(http.StatusBadRequest, "InvalidParameter", "The query string is malformed.")
	}
	if r.Body != nil {
		c.body, err = io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		if err != nil {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The request body could not be read.")
		}
		if len(c.body) > maxRequestBody {
			return nil, errf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large.")
		}
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if len(c.body) > 0 && strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if c.form, err = url.ParseQuery(string(c.body)); err != nil {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The form body is malformed.")
		}
	}
	c.params = make(params, len(c.query)+len(c.form))
	for _, vs := range []url.Values{c.query, c.form} {
		for k, v := range vs {
			if len(v) > 0 {
				c.params[k] = v[0]
			}
		}
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "ACS3-") {
		a, perr := parseACS3Authorization(auth)
		if perr != nil {
			return nil, errf(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: %v.", perr)
		}
		c.acs3 = a
		c.accessK = a.accessKeyID
	} else {
		c.accessK = c.params["AccessKeyId"]
	}
	c.action = c.params["Action"]
	if c.action == "" {
		c.action = r.Header.Get("x-acs-action")
	}
	c.version = c.params["Version"]
	if c.version == "" {
		c.version = r.Header.Get("x-acs-version")
	}
	return c, nil
}

// percentEncode is RFC 3986 encoding as Aliyun's signers use it: unreserved
// characters stay, space is %20, everything else is %XX.
func percentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// v1StringToSign is the server's string to sign for signature v1.
func v1StringToSign(method string, vals ...url.Values) string {
	type kv struct{ k, v string }
	var pairs []kv
	for _, vs := range vals {
		for k, list := range vs {
			if k == "Signature" {
				continue
			}
			for _, v := range list {
				pairs = append(pairs, kv{k, v})
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(p.k))
		b.WriteByte('=')
		b.WriteString(percentEncode(p.v))
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(b.String())
}

func v1Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// acs3Auth is a parsed ACS3 Authorization header.
type acs3Auth struct {
	algorithm     string
	accessKeyID   string
	signedHeaders []string
	signature     string
}

// parseACS3Authorization parses
// "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=h1;h2,Signature=hex".
func parseACS3Authorization(h string) (*acs3Auth, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg == "" {
		return nil, errors.New("no credential part")
	}
	a := &acs3Auth{algorithm: alg}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errors.New("malformed field " + strings.TrimSpace(part))
		}
		switch k {
		case "Credential":
			a.accessKeyID = v
		case "SignedHeaders":
			for _, sh := range strings.Split(v, ";") {
				if sh = strings.ToLower(strings.TrimSpace(sh)); sh != "" {
					a.signedHeaders = append(a.signedHeaders, sh)
				}
			}
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKeyID == "" {
		return nil, errors.New("the Credential field is missing")
	}
	if a.signature == "" {
		return nil, errors.New("the Signature field is missing")
	}
	if len(a.signedHeaders) == 0 {
		return nil, errors.New("the SignedHeaders field is missing")
	}
	return a, nil
}

// acs3CanonicalRequest rebuilds the canonical request the client signed.
func acs3CanonicalRequest(r *http.Request, query url.Values, signedHeaders []string, payloadHash string) string {
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	uri = strings.ReplaceAll(uri, "+", "%20")
	uri = strings.ReplaceAll(uri, "*", "%2A")
	uri = strings.ReplaceAll(uri, "%7E", "~")

	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var q strings.Builder
	for _, k := range keys {
		vals := append([]string(nil), query[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			if q.Len() > 0 {
				q.WriteByte('&')
			}
			q.WriteString(percentEncode(k))
			q.WriteByte('=')
			q.WriteString(percentEncode(v))
		}
	}

	var hb strings.Builder
	for _, name := range signedHeaders {
		var vals []string
		if name == "host" {
			vals = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(name) {
				vals = append(vals, strings.TrimSpace(v))
			}
			sort.Strings(vals)
		}
		hb.WriteString(name)
		hb.WriteByte(':')
		hb.WriteString(strings.Join(vals, ","))
		hb.WriteByte('\n')
	}
	return r.Method + "\n" + uri + "\n" + q.String() + "\n" + hb.String() + "\n" +
		strings.Join(signedHeaders, ";") + "\n" + payloadHash
}

func acs3StringToSign(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return acs3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

func acs3Sign(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// verifyRPC checks the signature of c with secret. It also enforces the
// timestamp window and nonce uniqueness both schemes document.
func (s *Server) verifyRPC(r *http.Request, c *rpcCall, secret string) *apiError {
	wall := time.Now()
	if c.acs3 != nil {
		a := c.acs3
		if a.algorithm != acs3Algorithm {
			return errf(http.StatusBadRequest, "InvalidSignatureMethod", "The signature algorithm %q is not supported.", a.algorithm)
		}
		if aerr := checkTimestamp(r.Header.Get("x-acs-date"), "x-acs-date", wall); aerr != nil {
			return aerr
		}
		nonce := r.Header.Get("x-acs-signature-nonce")
		if nonce == "" {
			return errMissing("x-acs-signature-nonce")
		}
		payloadHash := r.Header.Get("x-acs-content-sha256")
		if payloadHash == "" {
			return errMissing("x-acs-content-sha256")
		}
		sum := sha256.Sum256(c.body)
		if !strings.EqualFold(payloadHash, hex.EncodeToString(sum[:])) {
			return errf(http.StatusBadRequest, "SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the SHA-256 of the request body.")
		}
		sts := acs3StringToSign(acs3CanonicalRequest(r, c.query, a.signedHeaders, payloadHash))
		if !hmac.Equal([]byte(strings.ToLower(a.signature)), []byte(acs3Sign(secret, sts))) {
			return errf(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
		}
		if !s.nonces.use(c.accessK+"/"+nonce, wall) {
			return errf(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
		}
		return nil
	}

	p := c.params
	if p["Signature"] == "" {
		return errf(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	}
	if m := p["SignatureMethod"]; m != "HMAC-SHA1" {
		if m == "" {
			return errMissing("SignatureMethod")
		}
		return errf(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not supported.")
	}
	if v := p["SignatureVersion"]; v != "1.0" {
		if v == "" {
			return errMissing("SignatureVersion")
		}
		return errf(http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not supported.")
	}
	if aerr := checkTimestamp(p["Timestamp"], "Timestamp", wall); aerr != nil {
		return aerr
	}
	nonce := p["SignatureNonce"]
	if nonce == "" {
		return errMissing("SignatureNonce")
	}
	sts := v1StringToSign(c.method, c.query, c.form)
	if !hmac.Equal([]byte(p["Signature"]), []byte(v1Sign(secret, sts))) {
		return errf(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	if !s.nonces.use(c.accessK+"/"+nonce, wall) {
		return errf(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	return nil
}

func checkTimestamp(v, name string, wall time.Time) *apiError {
	if v == "" {
		return errMissing(name)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return errf(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := wall.Sub(t); d > clockSkew || d < -clockSkew {
		return errf(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	return nil
}

// nonceCache remembers signature nonces for the timestamp window, so that a
// replayed request is refused. Entries expire in insertion order.
type nonceCache struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	queue []nonceEntry
	head  int
}

type nonceEntry struct {
	key string
	at  time.Time
}

func newNonceCache() *nonceCache { return &nonceCache{seen: map[string]struct{}{}} }

// use records key and reports whether it was new.
func (c *nonceCache) use(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.head < len(c.queue) && now.Sub(c.queue[c.head].at) > 2*clockSkew {
		delete(c.seen, c.queue[c.head].key)
		c.queue[c.head] = nonceEntry{}
		c.head++
	}
	if c.head > 4096 && c.head*2 > len(c.queue) {
		c.queue = append([]nonceEntry(nil), c.queue[c.head:]...)
		c.head = 0
	}
	if _, dup := c.seen[key]; dup {
		return false
	}
	c.seen[key] = struct{}{}
	c.queue = append(c.queue, nonceEntry{key, now})
	return true
}
