package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

func TestMigrationsAndHelpers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		list, err := st.MigrationStatus(ctx)
		if err != nil || len(list) == 0 {
			t.Fatalf("status: %v %v", list, err)
		}
		for _, m := range list {
			if !m.Applied {
				t.Fatalf("migration %d not applied", m.Version)
			}
		}
		if n, err := st.Pending(ctx); err != nil || n != 0 {
			t.Fatalf("pending %d %v", n, err)
		}
		// Migrating again is a no-op.
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		ins := func() error {
			_, err := st.DB.ExecContext(ctx, "INSERT INTO settings (key, value, secret, updated_at) VALUES (?, ?, ?, ?)", "k", "v", false, now)
			return err
		}
		if err := ins(); err != nil {
			t.Fatal(err)
		}
		if err := ins(); !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate key not recognised: %v", err)
		}
	})
}

func TestOpenErrorsAreOneLine(t *testing.T) {
	for _, dsn := range []string{"postgres://nobody@127.0.0.1:1/none?connect_timeout=1", "oracle://x"} {
		_, err := store.Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("%s opened", dsn)
		}
		for _, c := range err.Error() {
			if c == '\n' {
				t.Fatalf("multi-line error for %s: %q", dsn, err)
			}
		}
	}
}
