package settings_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/settings"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const plaintext = "smtp-password-9f8e7d6c"

// TestSecretEncryptedAtRest stores a secret setting and looks at what the
// database really holds: never the plaintext.
func TestSecretEncryptedAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		box, _ := secret.NewBox(secret.GenerateKey())
		s := settings.New(st.DB, box)
		if err := s.Put(ctx, "notify.smtp_password", plaintext, true); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "notify.smtp_host", "127.0.0.1", false); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "notify.smtp_password")
		if err != nil || got != plaintext {
			t.Fatalf("get: %q %v", got, err)
		}
		var raw string
		if err := st.DB.NewSelect().Table("settings").Column("value").Where("key = ?", "notify.smtp_password").Scan(ctx, &raw); err != nil {
			t.Fatal(err)
		}
		if raw == plaintext || bytes.Contains([]byte(raw), []byte(plaintext)) {
			t.Fatalf("stored in clear: %q", raw)
		}
		list, _ := s.List(ctx)
		for _, x := range list {
			if x.Value == plaintext {
				t.Fatal("List returned a secret")
			}
		}
		if st.Path != "" {
			// Checkpoint the WAL, then scan every file of the database.
			if _, err := st.DB.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(st.Path + "*")
			for _, f := range files {
				b, _ := os.ReadFile(f)
				if bytes.Contains(b, []byte(plaintext)) {
					t.Fatalf("%s holds the plaintext", f)
				}
			}
		}
	})
}
