package secret_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// rotationTable is a table of this test's own, so that Rotate meets one
// registered column whose contents the test controls.
const rotationTable = "secret_rotation_test"

func init() {
	secret.RegisterColumn(secret.Column{Table: rotationTable, Key: "id", Name: "value"})
}

func rotationStore(t *testing.T, st *store.Store, box *secret.Box, values map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.DB.ExecContext(ctx, "CREATE TABLE "+rotationTable+" (id TEXT PRIMARY KEY, value TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for id, v := range values {
		ct := v
		if box != nil {
			var err error
			if ct, err = box.Encrypt(v); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.DB.ExecContext(ctx, "INSERT INTO "+rotationTable+" (id, value) VALUES (?, ?)", id, ct); err != nil {
			t.Fatal(err)
		}
	}
}

func readRotated(t *testing.T, st *store.Store, id string) string {
	t.Helper()
	var v string
	if err := st.DB.QueryRowContext(context.Background(), "SELECT value FROM "+rotationTable+" WHERE id = ?", id).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRotateWithKeyFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keyFile := filepath.Join(t.TempDir(), "master.key")
		old, _, err := secret.Load("", keyFile)
		if err != nil {
			t.Fatal(err)
		}
		rotationStore(t, st, old, map[string]string{"a": "alpha-secret", "b": "beta-secret"})

		res, err := secret.Rotate(ctx, st.DB, secret.Rotation{KeyFile: keyFile})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reencrypted != 2 || res.OldKeyID != old.PrimaryID() || res.NewKeyID == old.PrimaryID() {
			t.Fatalf("result %+v (old key %s)", res, old.PrimaryID())
		}
		now, _, err := secret.Load("", keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if now.PrimaryID() != res.NewKeyID {
			t.Fatalf("key file holds %s, want %s", now.PrimaryID(), res.NewKeyID)
		}
		for id, want := range map[string]string{"a": "alpha-secret", "b": "beta-secret"} {
			ct := readRotated(t, st, id)
			if got, err := now.Decrypt(ct); err != nil || got != want {
				t.Fatalf("row %s under the new key: %q %v", id, got, err)
			}
			if _, err := old.Decrypt(ct); err == nil {
				t.Fatalf("row %s still opens with the old key", id)
			}
		}
		raw, _ := os.ReadFile(keyFile)
		if n := strings.Count(string(raw), "="); n != 1 {
			t.Fatalf("the key file should hold the new key alone, has %d keys:\n%s", n, raw)
		}
	})
}

// A rotation that fails half way must leave every secret readable: the key
// file then holds the old key beside the new one.
func TestRotateFailureLosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		keyFile := filepath.Join(t.TempDir(), "master.key")
		old, _, err := secret.Load("", keyFile)
		if err != nil {
			t.Fatal(err)
		}
		stranger, _ := secret.NewBox(secret.GenerateKey())
		good, _ := old.Encrypt("kept-secret")
		foreign, _ := stranger.Encrypt("unreadable")
		rotationStore(t, st, nil, map[string]string{"good": good, "foreign": foreign})

		_, err = secret.Rotate(ctx, st.DB, secret.Rotation{KeyFile: keyFile})
		if err == nil || !errors.Is(err, secret.ErrDecrypt) {
			t.Fatalf("want a decrypt error, got %v", err)
		}
		after, _, err := secret.Load("", keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := after.Decrypt(readRotated(t, st, "good")); err != nil || got != "kept-secret" {
			t.Fatalf("after the failed rotation: %q %v", got, err)
		}
	})
}

func TestRotateWithEnvironmentKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		oldKey, newKey := secret.GenerateKey(), secret.GenerateKey()
		old, _ := secret.NewBox(oldKey)
		rotationStore(t, st, old, map[string]string{"a": "env-secret"})
		keyFile := filepath.Join(t.TempDir(), "master.key")

		if _, err := secret.Rotate(ctx, st.DB, secret.Rotation{EnvKeys: oldKey, KeyFile: keyFile}); !errors.Is(err, secret.ErrNewKeyRequired) {
			t.Fatalf("without a new key: %v", err)
		}
		res, err := secret.Rotate(ctx, st.DB, secret.Rotation{EnvKeys: oldKey, KeyFile: keyFile, NewKey: newKey})
		if err != nil || res.Reencrypted != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a key file was written although the key comes from the environment: %v", err)
		}
		nb, _ := secret.NewBox(newKey)
		if got, err := nb.Decrypt(readRotated(t, st, "a")); err != nil || got != "env-secret" {
			t.Fatalf("under the new key: %q %v", got, err)
		}
	})
}
