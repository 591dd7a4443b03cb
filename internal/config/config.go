// Package config owns Skyfold's server configuration: defaults, an optional YAML
// file, SKYFOLD_* environment variables and command-line flags, applied in that
// order so a flag beats the environment and the environment beats the file.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Config is the effective server configuration. Field tags name the YAML key;
// the environment variable is SKYFOLD_ + the key upper-cased, and the flag is
// the key with underscores turned into dashes.
type Config struct {
	Listen             string        `yaml:"listen" help:"address the HTTP server listens on"`
	DataDir            string        `yaml:"data_dir" help:"directory for the SQLite database, the master key file and other state"`
	DB                 string        `yaml:"db" help:"database: sqlite:///path/file.db or postgres://user:pass@host:port/db (default: SQLite file in the data dir)"`
	MasterKey          string        `yaml:"master_key" secret:"true" help:"base64 AES-256 key encrypting secrets at rest (default: key file in the data dir)"`
	MasterKeyFile      string        `yaml:"master_key_file" help:"path of the master key file (default: DATA_DIR/master.key)"`
	LogLevel           string        `yaml:"log_level" help:"debug, info, warn or error"`
	LogFormat          string        `yaml:"log_format" help:"json or text"`
	BodyLimit          int64         `yaml:"body_limit" help:"maximum request body in bytes"`
	ReadTimeout        time.Duration `yaml:"read_timeout" help:"HTTP read timeout"`
	WriteTimeout       time.Duration `yaml:"write_timeout" help:"HTTP write timeout"`
	ShutdownTimeout    time.Duration `yaml:"shutdown_timeout" help:"time allowed to drain requests and jobs on SIGTERM"`
	Workers            int           `yaml:"workers" help:"concurrent task workers in this process"`
	TaskLease          time.Duration `yaml:"task_lease" help:"how long a task stays owned by a process without a heartbeat before another process resumes it"`
	WorkerID           string        `yaml:"worker_id" help:"name of this process in task records (default: hostname-pid)"`
	Demo               bool          `yaml:"demo" help:"start the built-in cloud simulators on loopback ports and connect demo accounts to them"`
	RatingPeriod       time.Duration `yaml:"rating_period" help:"length of a rated period (CloudKitty's period)"`
	RatingWaitPeriods  int           `yaml:"rating_wait_periods" help:"whole periods to wait before rating a period (CloudKitty's wait_periods)"`
	RatingInterval     time.Duration `yaml:"rating_interval" help:"how often the rating processor runs"`
	RatingCurrency     string        `yaml:"rating_currency" help:"billing currency of rated costs"`
	RatingMetrics      string        `yaml:"rating_metrics" help:"metrics.yml replacing the built-in rated metrics (default: DATA_DIR/metrics.yml when it exists)"`
	TokenTTL           time.Duration `yaml:"token_ttl" help:"lifetime of an identity token"`
	LockoutFailures    int           `yaml:"lockout_failures" help:"consecutive failed password logins that lock a user out (0: never)"`
	LockoutDuration    time.Duration `yaml:"lockout_duration" help:"how long the first lockout of a user from one address lasts; each further one in a row lasts twice as long (at most 24h)"`
	LockoutExemptAdmin bool          `yaml:"lockout_exempt_admin" help:"never lock out the bootstrap admin (admin in domain Default); rate limits still apply"`
	RateLimit          string        `yaml:"rate_limit" help:"API requests allowed per user (per client IP without a token), e.g. 100/1m; off disables"`
	TokenIssueLimit    string        `yaml:"token_issue_limit" help:"tokens one user may be issued, e.g. 30/1m; off disables"`
	RateLimitGroups    string        `yaml:"rate_limit_groups" help:"per-face overrides of rate_limit, e.g. keystone=300/1m,cloudkitty=off (faces: keystone, cloudpods, bridgx, cloudlens, cloudkitty, plain)"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Listen:            "127.0.0.1:8080",
		DataDir:           "./data",
		LogLevel:          "info",
		LogFormat:         "json",
		BodyLimit:         4 << 20,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		ShutdownTimeout:   20 * time.Second,
		Workers:           8,
		TaskLease:         15 * time.Second,
		TokenTTL:          24 * time.Hour,
		RatingPeriod:      time.Hour,
		RatingWaitPeriods: 2,
		RatingInterval:    5 * time.Minute,
		RatingCurrency:    "USD",
		LockoutFailures:   5,
		LockoutDuration:   15 * time.Minute,
		RateLimit:         "100/1m",
		TokenIssueLimit:   "30/1m",
	}
}

// EnvPrefix prefixes every environment variable Skyfold reads.
const EnvPrefix = "SKYFOLD_"

type field struct {
	key    string
	index  int
	secret bool
	help   string
}

func fields() []field {
	t := reflect.TypeOf(Config{})
	out := make([]field, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		out = append(out, field{key: f.Tag.Get("yaml"), index: i, secret: f.Tag.Get("secret") == "true", help: f.Tag.Get("help")})
	}
	return out
}

// FlagName is the command-line flag of a YAML key.
func FlagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// EnvName is the environment variable of a YAML key.
func EnvName(key string) string { return EnvPrefix + strings.ToUpper(key) }

// RegisterFlags adds one flag per configuration key, plus --config, to fs.
// Flag defaults are shown in help but only flags the user set are applied.
func RegisterFlags(fs *pflag.FlagSet) {
	def := Default()
	dv := reflect.ValueOf(def)
	fs.String("config", "", "optional YAML configuration file (env SKYFOLD_CONFIG)")
	for _, f := range fields() {
		name := FlagName(f.key)
		help := f.help + " (env " + EnvName(f.key) + ")"
		switch v := dv.Field(f.index).Interface().(type) {
		case string:
			if f.secret {
				v = ""
			}
			fs.String(name, v, help)
		case int:
			fs.Int(name, v, help)
		case int64:
			fs.Int64(name, v, help)
		case bool:
			fs.Bool(name, v, help)
		case time.Duration:
			fs.Duration(name, v, help)
		}
	}
}

// Load builds the effective configuration from defaults, the YAML file named by
// --config or SKYFOLD_CONFIG, the environment and the flags that were set.
// getenv is os.Getenv in production; tests pass their own.
func Load(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	cfg := Default()
	path := getenv(EnvPrefix + "CONFIG")
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Changed {
			path = f.Value.String()
		}
	}
	if path != "" {
		if err := loadFile(&cfg, path); err != nil {
			return cfg, err
		}
	}
	v := reflect.ValueOf(&cfg).Elem()
	for _, f := range fields() {
		if s, ok := lookupEnv(getenv, EnvName(f.key)); ok {
			if err := setField(v.Field(f.index), s); err != nil {
				return cfg, fmt.Errorf("environment %s: %w", EnvName(f.key), err)
			}
		}
	}
	if fs != nil {
		for _, f := range fields() {
			fl := fs.Lookup(FlagName(f.key))
			if fl == nil || !fl.Changed {
				continue
			}
			if err := setField(v.Field(f.index), fl.Value.String()); err != nil {
				return cfg, fmt.Errorf("flag --%s: %w", fl.Name, err)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	s := getenv(name)
	return s, s != ""
}

func loadFile(cfg *Config, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %s", path, oneLine(err.Error()))
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func setField(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		if v.Type() == reflect.TypeOf(time.Duration(0)) {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 30s or 5m", s)
			}
			v.SetInt(int64(d))
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("unsupported kind %s", v.Kind())
	}
	return nil
}

// Validate checks every value and returns one error naming the first bad key.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen: %q is not host:port", c.Listen)
	}
	if c.DataDir == "" {
		return errors.New("data_dir: must not be empty")
	}
	if c.DB != "" {
		if _, _, err := ParseDSN(c.DB); err != nil {
			return fmt.Errorf("db: %w", err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("log_format: %q is not json or text", c.LogFormat)
	}
	if c.BodyLimit < 1024 {
		return fmt.Errorf("body_limit: %d is below 1024 bytes", c.BodyLimit)
	}
	if c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.ShutdownTimeout <= 0 {
		return errors.New("read_timeout, write_timeout and shutdown_timeout must be positive")
	}
	if c.Workers < 1 || c.Workers > 1000 {
		return fmt.Errorf("workers: %d is outside 1..1000", c.Workers)
	}
	if c.TaskLease < time.Second {
		return fmt.Errorf("task_lease: %s is below 1s", c.TaskLease)
	}
	if c.RatingPeriod < time.Minute {
		return fmt.Errorf("rating_period: %s is below 1m", c.RatingPeriod)
	}
	if c.RatingWaitPeriods < 0 || c.RatingWaitPeriods > 1000 {
		return fmt.Errorf("rating_wait_periods: %d is outside 0..1000", c.RatingWaitPeriods)
	}
	if c.RatingInterval < time.Second {
		return fmt.Errorf("rating_interval: %s is below 1s", c.RatingInterval)
	}
	if len(c.RatingCurrency) != 3 {
		return fmt.Errorf("rating_currency: %q is not a 3-letter currency code", c.RatingCurrency)
	}
	if c.TokenTTL < time.Minute || c.TokenTTL > 30*24*time.Hour {
		return fmt.Errorf("token_ttl: %s is outside 1m..720h", c.TokenTTL)
	}
	if c.LockoutFailures < 0 || c.LockoutFailures > 1000 {
		return fmt.Errorf("lockout_failures: %d is outside 0..1000", c.LockoutFailures)
	}
	if c.LockoutDuration < time.Second {
		return fmt.Errorf("lockout_duration: %s is below 1s", c.LockoutDuration)
	}
	if err := checkRateLimit(c.RateLimit); err != nil {
		return fmt.Errorf("rate_limit: %w", err)
	}
	if err := checkRateLimit(c.TokenIssueLimit); err != nil {
		return fmt.Errorf("token_issue_limit: %w", err)
	}
	for _, part := range strings.Split(c.RateLimitGroups, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		group, limit, ok := strings.Cut(part, "=")
		switch group = strings.TrimSpace(group); {
		case !ok:
			return fmt.Errorf("rate_limit_groups: %q is not face=N/duration", part)
		case group != "keystone" && group != "cloudpods" && group != "bridgx" && group != "cloudlens" && group != "cloudkitty" && group != "plain":
			return fmt.Errorf("rate_limit_groups: unknown face %q", group)
		}
		if err := checkRateLimit(limit); err != nil {
			return fmt.Errorf("rate_limit_groups: %s: %w", group, err)
		}
	}
	return nil
}

// checkRateLimit accepts what identity.ParseRateLimit reads: "off", or
// N/duration such as 100/1m (a bare s, m or h means one of it).
func checkRateLimit(s string) error {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Errorf("%q is not N/duration such as 100/1m, or off", s)
	}
	if v, err := strconv.Atoi(strings.TrimSpace(n)); err != nil || v < 1 || v > 1_000_000_000 {
		return fmt.Errorf("%q: the request count must be a positive integer", s)
	}
	per = strings.TrimSpace(per)
	if per == "s" || per == "m" || per == "h" {
		per = "1" + per
	}
	if d, err := time.ParseDuration(per); err != nil || d < time.Millisecond || d > 24*time.Hour {
		return fmt.Errorf("%q: the period must be a duration such as 1m", s)
	}
	return nil
}

// Store kinds returned by ParseDSN.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ParseDSN tells which store a DSN names and returns the form its driver takes:
// a file path for SQLite, the URL itself for PostgreSQL.
func ParseDSN(dsn string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		p := strings.TrimPrefix(dsn, "sqlite://")
		if p == "" || p == "/" {
			return "", "", fmt.Errorf("%q names no file; use sqlite:///path/file.db", dsn)
		}
		if strings.ContainsAny(p, "?#") {
			return "", "", fmt.Errorf("%q: options are not accepted in a sqlite DSN", dsn)
		}
		return SQLite, p, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return "", "", fmt.Errorf("invalid postgres URL")
		}
		if u.Host == "" {
			return "", "", fmt.Errorf("postgres URL has no host")
		}
		return Postgres, dsn, nil
	default:
		return "", "", fmt.Errorf("%q is neither sqlite:///path nor postgres://…", MaskDSN(dsn))
	}
}

// EffectiveDB is the DSN the server opens: DB, or the SQLite file in DataDir.
func (c Config) EffectiveDB() string {
	if c.DB != "" {
		return c.DB
	}
	abs, err := filepath.Abs(filepath.Join(c.DataDir, "skyfold.db"))
	if err != nil {
		abs = filepath.Join(c.DataDir, "skyfold.db")
	}
	return "sqlite://" + abs
}

// KeyFile is the master key file path.
func (c Config) KeyFile() string {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile
	}
	return filepath.Join(c.DataDir, "master.key")
}

// MaskDSN hides the password of a URL-style DSN.
func MaskDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		return strings.Replace(u.String(), "xxxxx", "****", 1)
	}
	return dsn
}

// Masked returns the configuration as YAML with every secret replaced by ****.
func (c Config) Masked() string {
	m := c
	if m.MasterKey != "" {
		m.MasterKey = "****"
	}
	m.DB = MaskDSN(c.EffectiveDB())
	out, err := yaml.Marshal(m)
	if err != nil {
		return err.Error()
	}
	return string(out)
}
