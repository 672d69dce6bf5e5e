package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestStrip(t *testing.T) {
	in := `{"version":"2.0","documentation":"<p>top</p>","metadata":{"apiVersion":"1"},
	"operations":{"examples":{"name":"examples","documentation":"x","documentationUrl":"u","http":{"method":"POST"}}},
	"shapes":{"documentation":{"type":"structure","documentation":"d","members":{
		"documentation":{"shape":"S","documentation":"member doc","deprecated":true,"deprecatedMessage":"old"},
		"Zeta":{"shape":"S"},"Alpha":{"shape":"S"}}},
	"S":{"type":"string","enum":["documentation","b"]}},
	"examples":{"Op":[{"input":{}}]}}`
	var out bytes.Buffer
	if err := Strip(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := `{"version":"2.0","metadata":{"apiVersion":"1"},` +
		`"operations":{"examples":{"name":"examples","http":{"method":"POST"}}},` +
		`"shapes":{"documentation":{"type":"structure","members":{` +
		`"documentation":{"shape":"S","deprecated":true},"Zeta":{"shape":"S"},"Alpha":{"shape":"S"}}},` +
		`"S":{"type":"string","enum":["documentation","b"]}}}`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	if err := Strip(strings.NewReader(`{} {}`), &out); err == nil {
		t.Fatal("trailing data accepted")
	}
}
