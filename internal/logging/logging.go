// Package logging builds Skyfold's structured logger and keeps secrets out of
// it: any attribute whose key names a secret is masked, whatever the caller
// passed.
package logging

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

var secretKey = regexp.MustCompile(`(?i)(secret|password|passwd|token|credential|authorization|master_?key|access_?key_?secret|private_?key|auth_code)`)

// dsnPassword matches the password of a URL-style DSN.
var dsnPassword = regexp.MustCompile(`(://[^:/@\s]+:)([^@\s]+)(@)`)

// IsSecretKey reports whether an attribute or field name names a secret.
func IsSecretKey(key string) bool { return secretKey.MatchString(key) }

// Mask hides the password part of any DSN found in s.
func Mask(s string) string { return dsnPassword.ReplaceAllString(s, "${1}****${3}") }

func replace(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindGroup {
		return a
	}
	if IsSecretKey(a.Key) && !(a.Value.Kind() == slog.KindString && a.Value.String() == "") {
		return slog.String(a.Key, "****")
	}
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); strings.Contains(s, "://") {
			return slog.String(a.Key, Mask(s))
		}
	}
	return a
}

// New returns a logger writing JSON or text at the given level.
func New(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: replace}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h)
}

type ctxKey struct{}

// With stores a logger in ctx.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the logger stored in ctx, or slog.Default.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
