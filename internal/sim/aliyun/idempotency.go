package aliyunsim

import (
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// ClientToken idempotency: a retried call with the same token and the same
// parameters returns the first call's result; the same token with different
// parameters is refused.

var transportParams = map[string]bool{
	"AccessKeyId": true, "Signature": true, "SignatureMethod": true, "SignatureNonce": true,
	"SignatureVersion": true, "SignatureType": true, "Timestamp": true, "Format": true,
	"Version": true, "Action": true, "SecurityToken": true, "DryRun": true, "ClientToken": true,
}

const tokenTTL = 24 * time.Hour

func (c *call) paramHash() string {
	keys := make([]string, 0, len(c.p))
	for k := range c.p {
		if !transportParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(c.p[k]))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// idempotent returns the remembered outcome of action for this call's
// ClientToken, nil when there is none.
func (c *call) idempotent(action string) (*idemRecord, *apiError) {
	tok := c.p.str("ClientToken")
	if tok == "" {
		return nil, nil
	}
	if len(tok) > 64 {
		return nil, errf(http.StatusBadRequest, "InvalidClientToken.ValueNotSupported", "The specified ClientToken is longer than 64 characters.")
	}
	rec := c.acct.Tokens[action+"/"+tok]
	if rec == nil || c.now.Sub(rec.At) > tokenTTL {
		return nil, nil
	}
	if rec.Hash != c.paramHash() {
		return nil, errf(http.StatusBadRequest, "IdempotentParameterMismatch", "The specified parameter has changed while using an already used clientToken.")
	}
	return rec, nil
}

func (c *call) remember(action string, ids []string, order string, price float64) {
	tok := c.p.str("ClientToken")
	if tok == "" {
		return
	}
	if len(c.acct.Tokens) > 10000 {
		for k, r := range c.acct.Tokens {
			if c.now.Sub(r.At) > tokenTTL {
				delete(c.acct.Tokens, k)
			}
		}
	}
	c.acct.Tokens[action+"/"+tok] = &idemRecord{Action: action, Hash: c.paramHash(), IDs: ids, Order: order, Price: price, At: c.now}
}
