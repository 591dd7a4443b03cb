// Package aliyun is Skyfold's Alibaba Cloud driver. It implements the
// cloud SPI on Alibaba Cloud's official Go SDK modules (darabonba-openapi
// with the ecs, vpc, sts, bssopenapi, cms, rds, r-kvstore and alikafka
// product modules, and the OSS v2 SDK) and registers itself as provider
// "Aliyun" (alias "AlibabaCloud").
//
// With AccountConfig.Endpoint set (e.g. "http://127.0.0.1:8080"), every
// product client talks to that one endpoint, as the Skyfold simulator
// expects; otherwise each product uses its real per-region endpoint. One
// SDK client is cached per product and region.
//
// Every SDK response is read through nil-safe accessors, so a response with
// missing fields yields empty values, never a panic. Money is read from the
// raw JSON numbers (the SDK models hold it as float32) and kept as decimal
// strings. Errors are mapped to the cloud package's typed errors, keeping
// the cloud's code, message and request id.
//
// Driver options (AccountConfig.Options):
//
//	page_size      page size for listings when the caller gives none (default 100)
//	read_timeout   per-request timeout, a Go duration (default 60s)
package aliyun
