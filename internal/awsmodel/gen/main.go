// Command gen produces the embedded, documentation-free AWS API models used by
// package awsmodel.
//
// It reads every SERVICE/VERSION/service-2.json.gz below -models (botocore
// layout), drops every human-readable key (documentation, documentationUrl,
// examples, deprecatedMessage) at any depth, and writes the remaining
// machine-readable structure, with its original key order, to
// -out/SERVICE.json.gz. When a service has several versions, the newest
// (lexically greatest) one wins.
//
// Run from the repository root:
//
//	go run ./internal/awsmodel/gen
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
)

// stripped lists the keys removed wherever they appear as attributes.
var stripped = map[string]bool{
	"documentation":     true,
	"documentationUrl":  true,
	"examples":          true,
	"deprecatedMessage": true,
}

// nameMaps are the keys whose object values are keyed by names (shape,
// operation or member names) rather than by attributes; their own keys are
// never stripped.
var nameMaps = map[string]bool{
	"shapes":     true,
	"operations": true,
	"members":    true,
}

func main() {
	modelsDir := flag.String("models", "../shared/aws-models", "directory holding SERVICE/VERSION/service-2.json.gz")
	outDir := flag.String("out", "internal/awsmodel/models", "directory to write SERVICE.json.gz into")
	flag.Parse()

	files, err := filepath.Glob(filepath.Join(*modelsDir, "*", "*", "service-2.json.gz"))
	if err != nil {
		log.Fatal(err)
	}
	if len(files) == 0 {
		log.Fatalf("no models found under %s", *modelsDir)
	}
	sort.Strings(files)
	newest := map[string]string{}
	for _, f := range files {
		svc := filepath.Base(filepath.Dir(filepath.Dir(f)))
		newest[svc] = f // sorted: later versions overwrite earlier ones
	}
	services := make([]string, 0, len(newest))
	for svc := range newest {
		services = append(services, svc)
	}
	sort.Strings(services)

	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, svc := range services {
		n, err := convert(newest[svc], filepath.Join(*outDir, svc+".json.gz"))
		if err != nil {
			log.Fatalf("%s: %v", svc, err)
		}
		fmt.Printf("%s: %s (%d bytes)\n", svc, newest[svc], n)
	}
}

func convert(in, out string) (int, error) {
	f, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	var plain bytes.Buffer
	if err := Strip(zr, &plain); err != nil {
		return 0, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	// No name or modification time in the header: output is reproducible.
	if _, err := zw.Write(plain.Bytes()); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return gz.Len(), os.WriteFile(out, gz.Bytes(), 0o644)
}

// Strip copies the JSON document in r to w, compacted, with key order
// preserved and every stripped key removed.
func Strip(r io.Reader, w *bytes.Buffer) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := copyValue(dec, w, false); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON document")
	}
	return nil
}

// copyValue copies one JSON value. names is true when the value is an object
// keyed by names, whose keys must all be kept.
func copyValue(dec *json.Decoder, w *bytes.Buffer, names bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			w.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := kt.(string)
				if !ok {
					return fmt.Errorf("unexpected object key %v", kt)
				}
				if !names && stripped[key] {
					if err := skipValue(dec); err != nil {
						return err
					}
					continue
				}
				if !first {
					w.WriteByte(',')
				}
				first = false
				writeString(w, key)
				w.WriteByte(':')
				if err := copyValue(dec, w, !names && nameMaps[key]); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			w.WriteByte('}')
		case '[':
			w.WriteByte('[')
			first := true
			for dec.More() {
				if !first {
					w.WriteByte(',')
				}
				first = false
				if err := copyValue(dec, w, false); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			w.WriteByte(']')
		default:
			return fmt.Errorf("unexpected delimiter %v", t)
		}
	case string:
		writeString(w, t)
	case json.Number:
		w.WriteString(t.String())
	case bool:
		if t {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case nil:
		w.WriteString("null")
	default:
		return fmt.Errorf("unexpected token %T", tok)
	}
	return nil
}

func skipValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}

func writeString(w *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // strings always encode
	w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
