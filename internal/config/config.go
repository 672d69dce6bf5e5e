// Package config loads duplex's settings. Precedence, as product.md fixes
// it: flags beat environment variables, which beat the YAML config file,
// which beats the built-in defaults.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DevAccount is the account that exists when no accounts are configured.
const (
	DevAccount   = "000000000000"
	DevAccessKey = "test"
	DevSecret    = "test"
)

// AccessKey is one long-term credential of an account.
type AccessKey struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`
}

// Account is a tenant: its resources are invisible to every other account.
type Account struct {
	ID         string      `yaml:"id"`
	AccessKeys []AccessKey `yaml:"access_keys"`
}

// Carrier is a named SMPP link.
type Carrier struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// InventoryNumber is a number RequestPhoneNumber may hand out.
type InventoryNumber struct {
	Number       string   `yaml:"number"`
	Country      string   `yaml:"country"`
	Type         string   `yaml:"type"`
	Capabilities []string `yaml:"capabilities"`
	Carrier      string   `yaml:"carrier"`
}

// Inbound tunes how long the inbound pipeline retries an undeliverable
// message (retry_window, default 1h) and the longest pause between two
// attempts (max_backoff, default 5m; the first retry comes after 1 s or
// max_backoff, whichever is shorter). Durations as Go writes them ("90s").
type Inbound struct {
	RetryWindow time.Duration `yaml:"retry_window"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
}

// Cluster tunes how nodes sharing one PostgreSQL store split the work
// (YAML only; tests shorten them). Zero values take the defaults.
type Cluster struct {
	// JobLease is how long a node holds a claimed inbound or outbound job
	// (default 1m); a node that dies leaves its jobs to the others then.
	JobLease time.Duration `yaml:"job_lease"`
	// DeliveryTimeout bounds one SNS HTTP delivery (default 15s, as SNS).
	DeliveryTimeout time.Duration `yaml:"delivery_timeout"`
	// DeliveryLease is how long a node holds claimed SNS deliveries
	// (default 2×delivery_timeout+30s; at least 2×delivery_timeout).
	DeliveryLease time.Duration `yaml:"delivery_lease"`
	// SMPPLease is how long the node running the SMPP links holds them
	// without renewing (default 15s): another node binds them that long
	// after the holder died.
	SMPPLease time.Duration `yaml:"smpp_lease"`
}

// Config is the whole configuration of `duplex serve`.
type Config struct {
	Addr          string            `yaml:"addr"`
	Data          string            `yaml:"data"`
	DatabaseURL   string            `yaml:"database_url"`
	Region        string            `yaml:"region"`
	PublicURL     string            `yaml:"public_url"`
	MasterKeyFile string            `yaml:"master_key_file"`
	LogLevel      string            `yaml:"log_level"`
	SMPP          []string          `yaml:"smpp"`
	Accounts      []Account         `yaml:"accounts"`
	Carriers      []Carrier         `yaml:"carriers"`
	Inventory     []InventoryNumber `yaml:"inventory"`
	// Inbound tunes the inbound pipeline's retries (YAML only; tests
	// shorten them). Zero values take the defaults.
	Inbound Inbound `yaml:"inbound"`
	// Cluster tunes leases of nodes sharing a PostgreSQL store.
	Cluster Cluster `yaml:"cluster"`

	// ConfigFile is the file the settings were read from, if any.
	ConfigFile string `yaml:"-"`
	// DevDefaults is true when the dev account is in use.
	DevDefaults bool `yaml:"-"`
}

// Defaults returns the settings of `duplex serve` with no flags.
func Defaults() Config {
	return Config{
		Addr:     "127.0.0.1:3875",
		Data:     "./duplex-data",
		Region:   "us-east-1",
		LogLevel: "info",
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// Load parses args (after the subcommand) with environment lookup env.
func Load(name string, args []string, env func(string) string) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f Config
	var smpp multi
	fs.StringVar(&f.Addr, "addr", "", "listen address for every API, the console, health and metrics (env DUPLEX_ADDR, default 127.0.0.1:3875)")
	fs.StringVar(&f.Data, "data", "", "data folder for the embedded SQLite store and generated keys (env DUPLEX_DATA, default ./duplex-data)")
	fs.StringVar(&f.DatabaseURL, "database-url", "", "PostgreSQL URL; when set, used instead of SQLite (env DUPLEX_DATABASE_URL)")
	fs.StringVar(&f.ConfigFile, "config", "", "YAML config file (env DUPLEX_CONFIG)")
	fs.StringVar(&f.Region, "region", "", "AWS region this server acts as (env DUPLEX_REGION, default us-east-1)")
	fs.StringVar(&f.PublicURL, "public-url", "", "base URL written into links the server hands out (env DUPLEX_PUBLIC_URL, default http://ADDR)")
	fs.StringVar(&f.MasterKeyFile, "master-key-file", "", "file holding the master key that wraps KMS key material (env DUPLEX_MASTER_KEY_FILE, default generated into the data folder)")
	fs.StringVar(&f.LogLevel, "log-level", "", "debug, info, warn or error (env DUPLEX_LOG_LEVEL, default info)")
	fs.Var(&smpp, "smpp", "SMPP carrier link URL smpp://SYSTEM_ID:PASSWORD@HOST:PORT?bind=transceiver&tps=100, repeatable (env DUPLEX_SMPP, comma-separated)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	c := Defaults()
	path := first(f.ConfigFile, env("DUPLEX_CONFIG"))
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		var fc Config
		if err := yaml.Unmarshal(b, &fc); err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		overlay(&c, &fc)
		c.SMPP = append(c.SMPP, fc.SMPP...)
		for _, cr := range fc.Carriers {
			c.SMPP = append(c.SMPP, cr.URL)
		}
		c.Accounts, c.Carriers, c.Inventory = fc.Accounts, fc.Carriers, fc.Inventory
		c.Inbound = fc.Inbound
		c.Cluster = fc.Cluster
		c.ConfigFile = path
	}
	envc := Config{
		Addr: env("DUPLEX_ADDR"), Data: env("DUPLEX_DATA"), DatabaseURL: env("DUPLEX_DATABASE_URL"),
		Region: env("DUPLEX_REGION"), PublicURL: env("DUPLEX_PUBLIC_URL"),
		MasterKeyFile: env("DUPLEX_MASTER_KEY_FILE"), LogLevel: env("DUPLEX_LOG_LEVEL"),
	}
	overlay(&c, &envc)
	if v := env("DUPLEX_SMPP"); v != "" && !set["smpp"] {
		c.SMPP = splitList(v)
	}
	overlay(&c, &f)
	if set["smpp"] {
		c.SMPP = smpp
	}
	if len(c.Accounts) == 0 {
		c.DevDefaults = true
		c.Accounts = []Account{{ID: DevAccount, AccessKeys: []AccessKey{{ID: DevAccessKey, Secret: DevSecret}}}}
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return &c, c.Validate()
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

// Validate checks the settings.
func (c *Config) Validate() error {
	var errs []error
	keys := map[string]string{}
	for _, a := range c.Accounts {
		if !accountRE.MatchString(a.ID) {
			errs = append(errs, fmt.Errorf("account id %q: must be 12 digits", a.ID))
		}
		for _, k := range a.AccessKeys {
			if k.ID == "" || k.Secret == "" {
				errs = append(errs, fmt.Errorf("account %s: access key needs id and secret", a.ID))
			}
			if other, dup := keys[k.ID]; dup {
				errs = append(errs, fmt.Errorf("access key %s is given to accounts %s and %s", k.ID, other, a.ID))
			}
			keys[k.ID] = a.ID
		}
	}
	if !regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`).MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("region %q is not a region name like us-east-1", c.Region))
	}
	for _, n := range c.Inventory {
		if !regexp.MustCompile(`^\+[1-9]\d{1,14}$`).MatchString(n.Number) {
			errs = append(errs, fmt.Errorf("inventory number %q is not E.164", n.Number))
		}
	}
	if c.Inbound.RetryWindow < 0 || c.Inbound.MaxBackoff < 0 {
		errs = append(errs, fmt.Errorf("inbound retry_window and max_backoff must not be negative"))
	}
	errs = append(errs, c.Cluster.validate()...)
	return errors.Join(errs...)
}

func overlay(dst, src *Config) {
	for _, p := range []struct{ d, s *string }{
		{&dst.Addr, &src.Addr}, {&dst.Data, &src.Data}, {&dst.DatabaseURL, &src.DatabaseURL},
		{&dst.Region, &src.Region}, {&dst.PublicURL, &src.PublicURL},
		{&dst.MasterKeyFile, &src.MasterKeyFile}, {&dst.LogLevel, &src.LogLevel},
	} {
		if *p.s != "" {
			*p.d = *p.s
		}
	}
}

func first(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c Cluster) validate() []error {
	var errs []error
	if c.JobLease < 0 || c.DeliveryTimeout < 0 || c.DeliveryLease < 0 || c.SMPPLease < 0 {
		errs = append(errs, errors.New("cluster leases and timeouts must not be negative"))
	}
	timeout := c.DeliveryTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	if c.DeliveryLease > 0 && c.DeliveryLease < 2*timeout {
		// A claimed delivery may wait for its subscription's lane before
		// its request starts; the lease must cover both.
		errs = append(errs, fmt.Errorf("cluster delivery_lease %v must be at least twice delivery_timeout (%v)", c.DeliveryLease, timeout))
	}
	return errs
}
