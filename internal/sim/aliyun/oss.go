package aliyunsim

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OSS: buckets over path-style (or *.localhost virtual-hosted) requests, signed
// with OSS V1 ("OSS ak:sig", HMAC-SHA1) or V4 ("OSS4-HMAC-SHA256", the OSS v2
// SDK's default). Bodies and errors are XML as OSS sends them.

const (
	ossV4Algorithm = "OSS4-HMAC-SHA256"
	maxBuckets     = 100
)

func isOSSRequest(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, "OSS ") || strings.HasPrefix(auth, ossV4Algorithm) {
		return true
	}
	q := r.URL.Query()
	return q.Get("OSSAccessKeyId") != "" || q.Get("x-oss-credential") != ""
}

type ossError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
	AccessKey string   `xml:"OSSAccessKeyId,omitempty"`
	StrToSign string   `xml:"StringToSign,omitempty"`
	BucketN   string   `xml:"BucketName,omitempty"`
	EC        string   `xml:"EC"`
	status    int
}

func ossErr(status int, code, msg string) *ossError {
	return &ossError{status: status, Code: code, Message: msg, EC: "0000-00000000"}
}

func writeXML(w http.ResponseWriter, reqID string, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte("<Error><Code>InternalError</Code></Error>")
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-oss-request-id", reqID)
	w.Header().Set("Server", "AliyunOSS")
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(body)
}

// ossTarget splits a request into bucket and object key.
func ossTarget(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	if b, ok := strings.CutSuffix(host, ".localhost"); ok && b != "" {
		return b, strings.TrimPrefix(r.URL.Path, "/")
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// ossHostRegion finds the region of a V1 request, which does not sign one,
// in an "oss-<region>" label of the Host; the default is cn-hangzhou.
func ossHostRegion(host string) string {
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	for _, label := range strings.Split(host, ".") {
		if r, ok := strings.CutPrefix(label, "oss-"); ok && regionByID[r] != nil {
			return r
		}
	}
	return "cn-hangzhou"
}

// ossAuth is a parsed OSS Authorization header.
type ossAuth struct {
	v4         bool
	accessKey  string
	signature  string
	date       string // V4 scope date
	region     string
	product    string
	additional []string
}

func parseOSSAuthorization(h string) (*ossAuth, error) {
	if rest, ok := strings.CutPrefix(h, "OSS "); ok {
		ak, sig, ok := strings.Cut(rest, ":")
		if !ok || ak == "" || sig == "" {
			return nil, errors.New("expected OSS AccessKeyId:Signature")
		}
		return &ossAuth{accessKey: ak, signature: sig}, nil
	}
	rest, ok := strings.CutPrefix(h, ossV4Algorithm+" ")
	if !ok {
		return nil, errors.New("unknown authorization scheme")
	}
	a := &ossAuth{v4: true}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errors.New("malformed field " + part)
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aliyun_v4_request" {
				return nil, errors.New("malformed Credential")
			}
			a.accessKey, a.date, a.region, a.product = f[0], f[1], f[2], f[3]
		case "AdditionalHeaders":
			for _, x := range strings.Split(v, ";") {
				if x = strings.ToLower(strings.TrimSpace(x)); x != "" {
					a.additional = append(a.additional, x)
				}
			}
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || a.signature == "" {
		return nil, errors.New("the Credential and Signature fields are required")
	}
	return a, nil
}

var ossNoEscape = func() (t [256]bool) {
	for i := range t {
		c := byte(i)
		t[i] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

func ossEscapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if ossNoEscape[c] || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func ossResource(bucket, key string) string {
	uri := "/"
	if bucket != "" {
		uri += bucket + "/"
	}
	return uri + key
}

func ossV4StringToSign(r *http.Request, a *ossAuth, bucket, key string) string {
	query := strings.ReplaceAll(r.URL.RawQuery, "+", "%20")
	values := map[string]string{}
	var params []string
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := values[k]; !dup {
			params = append(params, k)
		}
		values[k] = v
	}
	sort.Strings(params)
	var q strings.Builder
	for _, k := range params {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(k)
		if values[k] != "" {
			q.WriteByte('=')
			q.WriteString(values[k])
		}
	}
	var names []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-oss-") || lk == "content-type" || lk == "content-md5" || contains(a.additional, lk) {
			names = append(names, lk)
		}
	}
	if contains(a.additional, "host") && !contains(names, "host") {
		names = append(names, "host")
	}
	sort.Strings(names)
	var hb strings.Builder
	for _, k := range names {
		var vals []string
		if k == "host" {
			vals = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(k) {
				vals = append(vals, strings.TrimSpace(v))
			}
		}
		hb.WriteString(k + ":" + strings.Join(vals, ",") + "\n")
	}
	payload := r.Header.Get("x-oss-content-sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	canonical := r.Method + "\n" + ossEscapePath(ossResource(bucket, key)) + "\n" + q.String() + "\n" + hb.String() + "\n" +
		strings.Join(a.additional, ";") + "\n" + payload
	sum := sha256.Sum256([]byte(canonical))
	scope := a.date + "/" + a.region + "/" + a.product + "/aliyun_v4_request"
	return ossV4Algorithm + "\n" + r.Header.Get("x-oss-date") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func ossV4Sign(secret string, a *ossAuth, stringToSign string) string {
	mac := func(key []byte, data string) []byte {
		m := hmac.New(func() hash.Hash { return sha256.New() }, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	k := mac([]byte("aliyun_v4"+secret), a.date)
	k = mac(k, a.region)
	k = mac(k, a.product)
	k = mac(k, "aliyun_v4_request")
	return hex.EncodeToString(mac(k, stringToSign))
}

// ossSubresources are the query parameters OSS V1 signs.
var ossSubresources = map[string]bool{
	"acl": true, "bucketInfo": true, "location": true, "stat": true, "delete": true, "append": true, "tagging": true,
	"objectMeta": true, "uploads": true, "uploadId": true, "partNumber": true, "security-token": true, "position": true,
	"restore": true, "versions": true, "versioning": true, "versionId": true, "continuation-token": true, "regionList": true,
	"cors": true, "lifecycle": true, "logging": true, "referer": true, "website": true, "policy": true, "qos": true,
	"encryption": true, "worm": true, "inventory": true, "replication": true, "symlink": true, "cname": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true, "response-cache-control": true,
	"response-content-disposition": true, "response-content-encoding": true, "resourceGroup": true, "transferAcceleration": true,
	"accessMonitor": true, "requestPayment": true, "sequential": true, "callback": true, "callback-var": true,
}

func ossV1StringToSign(r *http.Request, bucket, key string) string {
	var names []string
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-oss-") {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	var hb strings.Builder
	for _, k := range names {
		vals := r.Header.Values(k)
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		hb.WriteString(k + ":" + strings.Join(vals, ",") + "\n")
	}
	q := r.URL.Query()
	var params []string
	for k := range q {
		if ossSubresources[k] || strings.HasPrefix(k, "x-oss-") {
			params = append(params, k)
		}
	}
	sort.Strings(params)
	for i, k := range params {
		if v := q.Get(k); v != "" {
			params[i] = k + "=" + v
		}
	}
	res := ossResource(bucket, key)
	if len(params) > 0 {
		res += "?" + strings.Join(params, "&")
	}
	return r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" +
		r.Header.Get("Date") + "\n" + hb.String() + res
}

func ossV1Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) serveOSS(w http.ResponseWriter, r *http.Request) {
	reqID := strings.ReplaceAll(newRequestID(), "-", "")[:24]
	s.requests.Add(1)
	sleepLatency(r.Context(), s.tunablesNow().Latency)
	fail := func(e *ossError) {
		e.RequestID, e.HostID = reqID, r.Host
		writeXML(w, reqID, e.status, e)
	}
	bucket, key := ossTarget(r)
	auth := r.Header.Get("Authorization")
	if auth == "" {
		fail(ossErr(http.StatusForbidden, "AccessDenied", "Presigned URLs are not supported by the simulator; sign the Authorization header."))
		return
	}
	a, err := parseOSSAuthorization(auth)
	if err != nil {
		fail(ossErr(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid: "+err.Error()))
		return
	}
	s.mu.RLock()
	ke, ok := s.st.keys[a.accessKey]
	s.mu.RUnlock()
	if !ok {
		e := ossErr(http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
		e.AccessKey = a.accessKey
		fail(e)
		return
	}
	var sts, want string
	if a.v4 {
		t, err := time.Parse("20060102T150405Z", r.Header.Get("x-oss-date"))
		if err != nil || time.Since(t) > clockSkew || time.Until(t) > clockSkew {
			fail(ossErr(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."))
			return
		}
		sts = ossV4StringToSign(r, a, bucket, key)
		want = ossV4Sign(ke.secret, a, sts)
	} else {
		t, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil || time.Since(t) > clockSkew || time.Until(t) > clockSkew {
			fail(ossErr(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."))
			return
		}
		sts = ossV1StringToSign(r, bucket, key)
		want = ossV1Sign(ke.secret, sts)
	}
	if !hmac.Equal([]byte(a.signature), []byte(want)) {
		e := ossErr(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		e.AccessKey, e.StrToSign = a.accessKey, sts
		fail(e)
		return
	}
	if aerr := s.admit(a.accessKey); aerr != nil {
		code := "ServiceUnavailable"
		if strings.HasPrefix(aerr.Code, "Throttling") {
			code = "SlowDown"
		}
		fail(ossErr(http.StatusServiceUnavailable, code, aerr.Message))
		return
	}
	region := a.region
	if region == "" {
		region = ossHostRegion(r.Host)
	}
	q := r.URL.Query()
	var res any
	var oerr *ossError
	status := http.StatusOK
	switch {
	case bucket == "" && r.Method == http.MethodGet:
		s.mu.RLock()
		res, oerr = ossListBuckets(ke.acct, q, r.Host)
		s.mu.RUnlock()
	case bucket == "":
		oerr = ossErr(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	case key != "":
		oerr = ossErr(http.StatusNotImplemented, "NotImplemented", "Object operations are not simulated.")
	case r.Method == http.MethodPut && len(q) == 0:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		s.mu.Lock()
		oerr = s.ossPutBucket(ke.acct, bucket, region, r.Header.Get("x-oss-acl"), body)
		s.mu.Unlock()
		if oerr == nil {
			s.markDirty()
		}
	case r.Method == http.MethodDelete && len(q) == 0:
		s.mu.Lock()
		oerr = s.ossDeleteBucket(ke.acct, bucket)
		s.mu.Unlock()
		if oerr == nil {
			s.markDirty()
			status = http.StatusNoContent
		}
	case r.Method == http.MethodGet:
		s.mu.RLock()
		res, oerr = s.ossGetBucket(ke.acct, bucket, q, r.Host)
		s.mu.RUnlock()
	default:
		oerr = ossErr(http.StatusNotImplemented, "NotImplemented", "This bucket operation is not simulated.")
	}
	if oerr != nil {
		if oerr.Code == "NoSuchBucket" {
			oerr.BucketN = bucket
		}
		fail(oerr)
		return
	}
	if res == nil {
		w.Header().Set("x-oss-request-id", reqID)
		w.Header().Set("Server", "AliyunOSS")
		w.WriteHeader(status)
		return
	}
	writeXML(w, reqID, status, res)
}

type ossOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type ossBucketXML struct {
	Name             string `xml:"Name"`
	Location         string `xml:"Location"`
	CreationDate     string `xml:"CreationDate"`
	StorageClass     string `xml:"StorageClass"`
	ExtranetEndpoint string `xml:"ExtranetEndpoint"`
	IntranetEndpoint string `xml:"IntranetEndpoint"`
	Region           string `xml:"Region"`
	ResourceGroupID  string `xml:"ResourceGroupId,omitempty"`
}

type listBucketsXML struct {
	XMLName     xml.Name       `xml:"ListAllMyBucketsResult"`
	Prefix      string         `xml:"Prefix,omitempty"`
	Marker      string         `xml:"Marker,omitempty"`
	MaxKeys     int            `xml:"MaxKeys,omitempty"`
	IsTruncated bool           `xml:"IsTruncated,omitempty"`
	NextMarker  string         `xml:"NextMarker,omitempty"`
	Owner       ossOwner       `xml:"Owner"`
	Buckets     []ossBucketXML `xml:"Buckets>Bucket"`
}

func ossTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func bucketXML(b *Bucket, host string) ossBucketXML {
	return ossBucketXML{Name: b.ID, Location: "oss-" + b.Region, CreationDate: ossTime(b.Created), StorageClass: b.StorageClass,
		ExtranetEndpoint: host, IntranetEndpoint: host, Region: b.Region}
}

func ossListBuckets(a *account, q url.Values, host string) (any, *ossError) {
	prefix, marker := q.Get("prefix"), q.Get("marker")
	maxKeys := 100
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, ossErr(http.StatusBadRequest, "InvalidArgument", "max-keys must be between 1 and 1000.")
		}
		maxKeys = n
	}
	names := make([]string, 0, len(a.buckets))
	for n := range a.buckets {
		if strings.HasPrefix(n, prefix) && n > marker {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := listBucketsXML{Prefix: prefix, Marker: marker, MaxKeys: maxKeys, Owner: ossOwner{a.ID, a.ID}, Buckets: []ossBucketXML{}}
	if q.Get("max-keys") == "" && prefix == "" && marker == "" {
		out.MaxKeys = 0
	}
	for i, n := range names {
		if i == maxKeys {
			out.IsTruncated, out.NextMarker = true, names[i-1]
			break
		}
		out.Buckets = append(out.Buckets, bucketXML(a.buckets[n], host))
	}
	return out, nil
}

var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

type createBucketConfig struct {
	StorageClass       string `xml:"StorageClass"`
	DataRedundancyType string `xml:"DataRedundancyType"`
}

func (s *Server) ossPutBucket(a *account, name, region, acl string, body []byte) *ossError {
	if !bucketNameRE.MatchString(name) {
		return ossErr(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.")
	}
	if regionByID[region] == nil {
		return ossErr(http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid.")
	}
	switch acl {
	case "":
		acl = "private"
	case "private", "public-read", "public-read-write":
	default:
		return ossErr(http.StatusBadRequest, "InvalidArgument", "no such bucket access control exists")
	}
	cfg := createBucketConfig{StorageClass: "Standard", DataRedundancyType: "LRS"}
	if len(body) > 0 {
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return ossErr(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed.")
		}
		if cfg.StorageClass == "" {
			cfg.StorageClass = "Standard"
		}
		if cfg.DataRedundancyType == "" {
			cfg.DataRedundancyType = "LRS"
		}
	}
	switch cfg.StorageClass {
	case "Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive":
	default:
		return ossErr(http.StatusBadRequest, "InvalidArgument", "The storage class is not valid.")
	}
	if _, taken := s.st.buckets[name]; taken {
		return ossErr(http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	}
	if len(a.buckets) >= maxBuckets {
		return ossErr(http.StatusBadRequest, "TooManyBuckets", "You have attempted to create more buckets than allowed.")
	}
	now := s.now()
	s.st.addBucket(a, &Bucket{Meta: Meta{ID: name, Seq: s.st.nextSeq(), Region: region, Created: now}, StorageClass: cfg.StorageClass,
		ACL: acl, Redundancy: cfg.DataRedundancyType}, now)
	return nil
}

func (st *state) addBucket(a *account, b *Bucket, now time.Time) {
	st.buckets[b.ID] = b
	st.bucketOwner[b.ID] = a
	a.buckets[b.ID] = b
	if d := ossDailyMicro(b); d > 0 {
		a.startBilling(now, b.Created, d/24)
	}
}

func (s *Server) ossDeleteBucket(a *account, name string) *ossError {
	b, ok := s.st.buckets[name]
	if !ok {
		return ossErr(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	}
	if s.st.bucketOwner[name] != a {
		return ossErr(http.StatusForbidden, "AccessDenied", "You have no right to access this bucket.")
	}
	if b.Objects > 0 {
		return ossErr(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
	}
	if d := ossDailyMicro(b); d > 0 {
		a.stopBilling(s.now(), d/24)
	}
	delete(s.st.buckets, name)
	delete(s.st.bucketOwner, name)
	delete(a.buckets, name)
	return nil
}

type bucketInfoXML struct {
	XMLName xml.Name `xml:"BucketInfo"`
	Bucket  struct {
		Name                 string   `xml:"Name"`
		AccessMonitor        string   `xml:"AccessMonitor"`
		Location             string   `xml:"Location"`
		CreationDate         string   `xml:"CreationDate"`
		ExtranetEndpoint     string   `xml:"ExtranetEndpoint"`
		IntranetEndpoint     string   `xml:"IntranetEndpoint"`
		StorageClass         string   `xml:"StorageClass"`
		DataRedundancyType   string   `xml:"DataRedundancyType"`
		ResourceGroupID      string   `xml:"ResourceGroupId"`
		Owner                ossOwner `xml:"Owner"`
		ACL                  string   `xml:"AccessControlList>Grant"`
		ServerSideEncryption struct {
			SSEAlgorithm string `xml:"SSEAlgorithm"`
		} `xml:"ServerSideEncryptionRule"`
		BucketPolicy struct {
			LogBucket string `xml:"LogBucket"`
			LogPrefix string `xml:"LogPrefix"`
		} `xml:"BucketPolicy"`
		Versioning             string `xml:"Versioning,omitempty"`
		TransferAcceleration   string `xml:"TransferAcceleration"`
		CrossRegionReplication string `xml:"CrossRegionReplication"`
		Comment                string `xml:"Comment"`
		BlockPublicAccess      bool   `xml:"BlockPublicAccess"`
	} `xml:"Bucket"`
}

type bucketStatXML struct {
	XMLName                     xml.Name `xml:"BucketStat"`
	Storage                     int64    `xml:"Storage"`
	ObjectCount                 int64    `xml:"ObjectCount"`
	MultipartUploadCount        int64    `xml:"MultipartUploadCount"`
	LiveChannelCount            int64    `xml:"LiveChannelCount"`
	LastModifiedTime            int64    `xml:"LastModifiedTime"`
	StandardStorage             int64    `xml:"StandardStorage"`
	StandardObjectCount         int64    `xml:"StandardObjectCount"`
	InfrequentAccessStorage     int64    `xml:"InfrequentAccessStorage"`
	InfrequentAccessRealStorage int64    `xml:"InfrequentAccessRealStorage"`
	InfrequentAccessObjectCount int64    `xml:"InfrequentAccessObjectCount"`
	ArchiveStorage              int64    `xml:"ArchiveStorage"`
	ArchiveRealStorage          int64    `xml:"ArchiveRealStorage"`
	ArchiveObjectCount          int64    `xml:"ArchiveObjectCount"`
	ColdArchiveStorage          int64    `xml:"ColdArchiveStorage"`
	ColdArchiveRealStorage      int64    `xml:"ColdArchiveRealStorage"`
	ColdArchiveObjectCount      int64    `xml:"ColdArchiveObjectCount"`
}

type listObjectsXML struct {
	XMLName     xml.Name `xml:"ListBucketResult"`
	Name        string   `xml:"Name"`
	Prefix      string   `xml:"Prefix"`
	Marker      string   `xml:"Marker"`
	MaxKeys     int      `xml:"MaxKeys"`
	Delimiter   string   `xml:"Delimiter"`
	IsTruncated bool     `xml:"IsTruncated"`
}

func (s *Server) ossGetBucket(a *account, name string, q url.Values, host string) (any, *ossError) {
	b, ok := s.st.buckets[name]
	if !ok {
		return nil, ossErr(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	}
	if s.st.bucketOwner[name] != a {
		return nil, ossErr(http.StatusForbidden, "AccessDenied", "You have no right to access this bucket.")
	}
	switch {
	case q.Has("bucketInfo"):
		var out bucketInfoXML
		bi := &out.Bucket
		bi.Name, bi.AccessMonitor, bi.Location, bi.CreationDate = b.ID, "Disabled", "oss-"+b.Region, ossTime(b.Created)
		bi.ExtranetEndpoint, bi.IntranetEndpoint, bi.StorageClass, bi.DataRedundancyType = host, host, b.StorageClass, b.Redundancy
		bi.Owner, bi.ACL, bi.ServerSideEncryption.SSEAlgorithm = ossOwner{a.ID, a.ID}, b.ACL, "None"
		bi.TransferAcceleration, bi.CrossRegionReplication = "Disabled", "Disabled"
		return out, nil
	case q.Has("stat"):
		st := bucketStatXML{Storage: b.Bytes, ObjectCount: b.Objects, LastModifiedTime: s.now().Unix()}
		switch b.StorageClass {
		case "IA":
			st.InfrequentAccessStorage, st.InfrequentAccessRealStorage, st.InfrequentAccessObjectCount = b.Bytes, b.Bytes, b.Objects
		case "Archive":
			st.ArchiveStorage, st.ArchiveRealStorage, st.ArchiveObjectCount = b.Bytes, b.Bytes, b.Objects
		case "ColdArchive":
			st.ColdArchiveStorage, st.ColdArchiveRealStorage, st.ColdArchiveObjectCount = b.Bytes, b.Bytes, b.Objects
		default:
			st.StandardStorage, st.StandardObjectCount = b.Bytes, b.Objects
		}
		return st, nil
	case q.Has("location"):
		return struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Value   string   `xml:",chardata"`
		}{Value: "oss-" + b.Region}, nil
	case q.Has("acl"):
		return struct {
			XMLName xml.Name `xml:"AccessControlPolicy"`
			Owner   ossOwner `xml:"Owner"`
			Grant   string   `xml:"AccessControlList>Grant"`
		}{Owner: ossOwner{a.ID, a.ID}, Grant: b.ACL}, nil
	case len(q) == 0 || q.Has("prefix") || q.Has("max-keys") || q.Has("marker") || q.Has("list-type"):
		return listObjectsXML{Name: b.ID, Prefix: q.Get("prefix"), Marker: q.Get("marker"), MaxKeys: 100}, nil
	}
	return nil, ossErr(http.StatusNotImplemented, "NotImplemented", "This bucket operation is not simulated.")
}
