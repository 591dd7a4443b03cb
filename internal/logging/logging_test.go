package logging_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/logging"
)

func TestSecretsMasked(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, "json", "info")
	log.Info("connect", "access_key_secret", "EXAMPLEsecret", "password", "hunter2",
		"dsn", "postgres://u:pw123@127.0.0.1:5432/db", "token", "tok-abc", "name", "visible")
	out := buf.String()
	for _, s := range []string{"EXAMPLEsecret", "hunter2", "pw123", "tok-abc"} {
		if strings.Contains(out, s) {
			t.Fatalf("log holds %q: %s", s, out)
		}
	}
	if !strings.Contains(out, "visible") || !strings.Contains(out, "postgres://u:****@127.0.0.1") {
		t.Fatalf("log lost ordinary data: %s", out)
	}
}
