package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "duplex.yaml")
	os.WriteFile(file, []byte(`
region: eu-west-1
addr: 127.0.0.1:1111
data: /from/file
accounts:
  - id: "111122223333"
    access_keys: [{id: AKIA1, secret: s1}]
inventory:
  - {number: "+12065550100", country: US, type: LONG_CODE, capabilities: [SMS, VOICE]}
inbound: {retry_window: 90s, max_backoff: 250ms}
unknown_key: allowed
`), 0o600)
	env := map[string]string{"DUPLEX_CONFIG": file, "DUPLEX_ADDR": "127.0.0.1:2222", "DUPLEX_DATA": "/from/env"}
	c, err := Load("serve", []string{"--addr", "127.0.0.1:3333"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3333" {
		t.Errorf("addr = %s, flag must win", c.Addr)
	}
	if c.Data != "/from/env" {
		t.Errorf("data = %s, env must beat file", c.Data)
	}
	if c.Region != "eu-west-1" {
		t.Errorf("region = %s, file must beat default", c.Region)
	}
	if c.DevDefaults || len(c.Accounts) != 1 || c.Accounts[0].ID != "111122223333" {
		t.Errorf("accounts = %+v dev=%v", c.Accounts, c.DevDefaults)
	}
	if len(c.Inventory) != 1 || c.PublicURL != "http://127.0.0.1:3333" {
		t.Errorf("inventory %v public %s", c.Inventory, c.PublicURL)
	}
	if c.Inbound.RetryWindow != 90*time.Second || c.Inbound.MaxBackoff != 250*time.Millisecond {
		t.Errorf("inbound = %+v", c.Inbound)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load("serve", nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3875" || c.Data != "./duplex-data" || c.Region != "us-east-1" || !c.DevDefaults {
		t.Fatalf("defaults = %+v", c)
	}
	if c.Accounts[0].ID != DevAccount || c.Accounts[0].AccessKeys[0].ID != "test" {
		t.Fatalf("dev account = %+v", c.Accounts)
	}
}

func TestInvalid(t *testing.T) {
	env := map[string]string{"DUPLEX_REGION": "mars"}
	if _, err := Load("serve", nil, func(k string) string { return env[k] }); err == nil {
		t.Fatal("bad region accepted")
	}
}
