package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/skyfold/skyfold/internal/config"
)

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedenceFlagOverEnvOverFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:1111\nworkers: 3\nlog_format: text\ntask_lease: 30s\n"), 0o600)
	cfg, err := config.Load(flags(t, "--config", file, "--listen", "127.0.0.1:3333"),
		env(map[string]string{"SKYFOLD_LISTEN": "127.0.0.1:2222", "SKYFOLD_WORKERS": "5"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:3333" || cfg.Workers != 5 || cfg.LogFormat != "text" || cfg.TaskLease != 30*time.Second {
		t.Fatalf("%+v", cfg)
	}
	if cfg.DataDir != "./data" {
		t.Fatalf("default data dir %q", cfg.DataDir)
	}
}

func TestBadInputFailsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "u.yaml")
	os.WriteFile(unknown, []byte("listen: 127.0.0.1:1\nlisten_addr: x\n"), 0o600)
	cases := []struct {
		name string
		fs   *pflag.FlagSet
		env  map[string]string
		want string
	}{
		{"unknown key", flags(t, "--config", unknown), nil, "listen_addr"},
		{"missing file", flags(t, "--config", filepath.Join(dir, "nope.yaml")), nil, "nope.yaml"},
		{"bad listen", flags(t, "--listen", "nothing"), nil, "listen"},
		{"bad duration env", flags(t), map[string]string{"SKYFOLD_TASK_LEASE": "soon"}, "SKYFOLD_TASK_LEASE"},
		{"bad int env", flags(t), map[string]string{"SKYFOLD_WORKERS": "many"}, "SKYFOLD_WORKERS"},
		{"bad dsn", flags(t, "--db", "mysql://x"), nil, "db"},
		{"empty sqlite dsn", flags(t, "--db", "sqlite://"), nil, "db"},
		{"bad level", flags(t, "--log-level", "loud"), nil, "log_level"},
		{"workers zero", flags(t, "--workers", "0"), nil, "workers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(c.fs, env(c.env))
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q should be one line naming %q", err, c.want)
			}
		})
	}
}

func TestMaskedHidesSecrets(t *testing.T) {
	cfg, err := config.Load(flags(t, "--db", "postgres://u:hunter2@127.0.0.1:5432/x"),
		env(map[string]string{"SKYFOLD_MASTER_KEY": "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3Qtc2hvdyE="}))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Masked()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "c2VjcmV0") {
		t.Fatalf("secret in masked config:\n%s", out)
	}
	if !strings.Contains(out, "master_key: '****'") && !strings.Contains(out, `master_key: "****"`) {
		t.Fatalf("master key not shown as masked:\n%s", out)
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"sqlite:///tmp/x.db", "postgres://u:p@h:5432/d", "sqlite://", "postgres://", "x", "postgresql://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, target, err := config.ParseDSN(s)
		if err == nil && (kind == "" || target == "") {
			t.Fatalf("accepted %q without kind or target", s)
		}
		_ = config.MaskDSN(s)
	})
}
