package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/settings"
)

func TestRotateKey(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	ctx := context.Background()
	oldBox, _, err := secret.Load("", cfg.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := settings.New(st.DB, oldBox).Put(ctx, "api.token", "very-secret-token", true); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out := run(t, nil, "admin", "rotate-key", "--data-dir", dir, "--log-level", "error")
	if !strings.Contains(out, "re-encrypted 1 secrets") {
		t.Fatalf("output %q", out)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "master.key"))
	if strings.Contains(string(raw), "very-secret") {
		t.Fatal("key file holds a secret value")
	}
	newBox, _, err := secret.Load("", cfg.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if newBox.PrimaryID() == oldBox.PrimaryID() {
		t.Fatal("key not changed")
	}
	st, err = app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := settings.New(st.DB, newBox).Get(ctx, "api.token")
	if err != nil || got != "very-secret-token" {
		t.Fatalf("after rotation: %q %v", got, err)
	}
	if _, err := settings.New(st.DB, oldBox).Get(ctx, "api.token"); err == nil {
		t.Fatal("old key still opens the secret")
	}
}

func TestPrintConfigMasksSecrets(t *testing.T) {
	out := run(t, []string{"SKYFOLD_MASTER_KEY=" + secret.GenerateKey()}, "serve", "--print-config",
		"--db", "postgres://app:pa55word@127.0.0.1:5432/x")
	if strings.Contains(out, "pa55word") || !strings.Contains(out, "****") {
		t.Fatalf("print-config leaks or does not mask:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "master_key:") && !strings.Contains(line, "****") {
			t.Fatalf("master key shown: %s", line)
		}
	}
}

func TestInvalidConfigExitsWithOneLine(t *testing.T) {
	cmd := exec.Command(binPath, "serve", "--db", "mysql://nope")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "db") {
		t.Fatalf("want one line naming db, got:\n%s", out)
	}
}
