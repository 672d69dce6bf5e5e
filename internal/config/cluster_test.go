package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCluster(t *testing.T) {
	load := func(yaml string) (*Config, error) {
		file := filepath.Join(t.TempDir(), "duplex.yaml")
		if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load("serve", []string{"--config", file}, func(string) string { return "" })
	}
	c, err := load("cluster: {job_lease: 5s, delivery_timeout: 1s, delivery_lease: 3s, smpp_lease: 2s}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Cluster{JobLease: 5 * time.Second, DeliveryTimeout: time.Second, DeliveryLease: 3 * time.Second, SMPPLease: 2 * time.Second}
	if c.Cluster != want {
		t.Errorf("cluster = %+v, want %+v", c.Cluster, want)
	}
	// A delivery lease shorter than two request timeouts would let a
	// request outlive its claim.
	if _, err := load("cluster: {delivery_timeout: 2s, delivery_lease: 3s}\n"); err == nil || !strings.Contains(err.Error(), "delivery_lease") {
		t.Errorf("short delivery lease: %v", err)
	}
	if _, err := load("cluster: {delivery_lease: 20s}\n"); err == nil {
		t.Errorf("delivery lease shorter than twice the default timeout accepted")
	}
	if _, err := load("cluster: {job_lease: -1s}\n"); err == nil {
		t.Errorf("negative lease accepted")
	}
}
