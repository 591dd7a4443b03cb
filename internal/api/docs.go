package api

import (
	_ "embed"
	"net/http"
)

// docsPage renders /openapi.json in the browser with no external assets, so
// the docs work where the server cannot reach the internet.
//
//go:embed docs/index.html
var docsPage []byte

func docsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
		_, _ = w.Write(docsPage)
	})
}
