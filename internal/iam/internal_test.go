package iam

import (
	"net/url"
	"regexp"
	"testing"
)

func TestEncodeDocument(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a": "b"}`, `%7B%22a%22%3A%20%22b%22%7D`},
		{"AZaz09-._~", "AZaz09-._~"},
		{"a+b/c*d\n", "a%2Bb%2Fc%2Ad%0A"},
		{"é", "%C3%A9"},
	}
	for _, tc := range cases {
		got := EncodeDocument(tc.in)
		if got != tc.want {
			t.Errorf("EncodeDocument(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := url.QueryUnescape(got); err != nil || back != tc.in {
			t.Errorf("QueryUnescape(%q) = %q, %v", got, back, err)
		}
		if back, err := url.PathUnescape(got); err != nil || back != tc.in {
			t.Errorf("PathUnescape(%q) = %q, %v", got, back, err)
		}
	}
}

func TestPolicySize(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"{ }", 2},
		{"{\n\t\"a\" : 1\r\n}", 7},
		{"é é", 2},
	}
	for _, tc := range cases {
		if got := PolicySize(tc.in); got != tc.want {
			t.Errorf("PolicySize(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^AROA[A-Z0-9]{16}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID("AROA")
		if !re.MatchString(id) {
			t.Fatalf("NewID = %q", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestParseARNs(t *testing.T) {
	cases := []struct {
		arn                 string
		account, path, name string
		ok                  bool
	}{
		{"arn:aws:iam::000000000000:role/R", "000000000000", "/", "R", true},
		{"arn:aws:iam::000000000000:role/a/b/R", "000000000000", "/a/b/", "R", true},
		{"arn:aws:iam::000000000000:role/", "", "", "", false},
		{"arn:aws:iam::000000000000:user/R", "", "", "", false},
		{"arn:aws:sts::000000000000:role/R", "", "", "", false},
		{"arn:aws:iam::0000:role/R", "", "", "", false},
		{"role/R", "", "", "", false},
	}
	for _, tc := range cases {
		a, p, n, ok := ParseRoleARN(tc.arn)
		if ok != tc.ok || (ok && (a != tc.account || p != tc.path || n != tc.name)) {
			t.Errorf("ParseRoleARN(%q) = %q %q %q %v", tc.arn, a, p, n, ok)
		}
	}
	if a, p, n, err := parsePolicyARN("arn:aws:iam::000000000000:policy/x/P"); err != nil || a != "000000000000" || p != "/x/" || n != "P" {
		t.Errorf("parsePolicyARN = %q %q %q %v", a, p, n, err)
	}
	for _, bad := range []string{"arn:aws:iam::000000000000:policy/", "arn:aws:iam::000000000000:role/P", "policy/P"} {
		if _, _, _, err := parsePolicyARN(bad); err == nil {
			t.Errorf("parsePolicyARN(%q) accepted", bad)
		}
	}
}
