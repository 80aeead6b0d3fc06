package boltstore_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"

	"github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenRecord holds the stored form of goldenApp at revision 1.
var goldenRecord = filepath.Join("testdata", "record-format-1.json")

func goldenApp() wisp.App {
	return wisp.App{
		Name:    "hello",
		Current: 1,
		Versions: []wisp.Version{{
			Number: 1,
			Spec: wisp.AppSpec{
				Name:   "hello",
				Module: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
				Routes: []wisp.Route{{Path: "/hello"}, {Host: "example.com", Path: "/api", Prefix: true}},
				Env:    map[string]string{"GREETING": "hi"},
				Files:  []wisp.FileMount{{Mount: "/static", Bundle: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
				// The limits format 1 records hold; the service limits added
				// since are optional fields, zero (the default) when absent.
				Limits: wisp.Limits{Memory: 128 << 20, Timeout: wisp.Duration(10 * time.Second), MaxBody: 10 << 20, MaxResponse: 10 << 20, MaxConcurrency: 64},
			},
			CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		}},
	}
}

// TestRecordFormatGolden pins the stored encoding. If it changes on
// purpose, bump recordFormat, keep reading the old format, and rerun with
// -update.
func TestRecordFormatGolden(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	if _, err := s.PutApp(t.Context(), goldenApp()); err != nil {
		t.Fatal(err)
	}
	s.Close()

	var got bytes.Buffer
	if err := json.Indent(&got, readRaw(t, dir, "hello"), "", "  "); err != nil {
		t.Fatalf("stored record is not JSON: %v", err)
	}
	got.WriteByte('\n')
	golden.Check(t, goldenRecord, got.String(), *update)
}

// TestReadsFormat1Records checks that records written in format 1, as by
// earlier versions, stay readable and updatable.
func TestReadsFormat1Records(t *testing.T) {
	data, err := os.ReadFile(goldenRecord)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mustOpen(t, dir).Close()
	writeRaw(t, dir, "hello", data) // leaves the bucket's sequence at 0

	s := openT(t, dir)
	got, err := s.GetApp(t.Context(), "hello")
	if err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	want := goldenApp()
	want.Revision = 1
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetApp = %+v\nwant %+v", got, want)
	}
	updated, err := s.PutApp(t.Context(), got)
	if err != nil {
		t.Fatalf("PutApp: %v", err)
	}
	if updated.Revision <= got.Revision {
		t.Fatalf("update of a record at revision %d got revision %d; revisions must grow even when the sequence lags",
			got.Revision, updated.Revision)
	}
}

func TestCorruptRecordNamesTheApp(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"NotJSON", `garbage{`, "invalid character"},
		{"WrongType", `{"format":1,"app":{"name":"broken","revision":3,"versions":"v1"}}`, "cannot unmarshal"},
		{"NoFormat", `{"app":{"name":"broken","revision":3}}`, "no record format"},
		{"NewerFormat", `{"format":2,"app":{"name":"broken","revision":3}}`, "newer version of wisp"},
		{"OtherName", `{"format":1,"app":{"name":"other","revision":3}}`, `holds app "other"`},
		{"NoRevision", `{"format":1,"app":{"name":"broken"}}`, "no revision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir)
			good, err := s.PutApp(t.Context(), wisp.App{Name: "good"})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			writeRaw(t, dir, "broken", []byte(tc.value))
			s = openT(t, dir)

			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, boltstore.ErrCorrupt) {
					t.Errorf("%s: error = %v, want one wrapping ErrCorrupt", op, err)
				}
				for _, want := range []string{`app "broken"`, tc.want} {
					if err != nil && !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %q does not say %q", op, err, want)
					}
				}
			}
			_, err = s.GetApp(t.Context(), "broken")
			check("GetApp", err)
			_, err = s.ListApps(t.Context())
			check("ListApps", err)
			_, err = s.PutApp(t.Context(), wisp.App{Name: "broken", Revision: 3})
			check("PutApp", err)
			check("DeleteApp", s.DeleteApp(t.Context(), "broken", 3))

			if got, err := s.GetApp(t.Context(), "good"); err != nil || !reflect.DeepEqual(got, good) {
				t.Errorf("GetApp(good) = %+v, %v; want %+v", got, err, good)
			}
		})
	}
}

// writeRaw puts value under key in the "apps" bucket of the closed store
// in dir, bypassing the store.
func writeRaw(t *testing.T, dir, key string, value []byte) {
	t.Helper()
	db := openDB(t, dir)
	defer db.Close()
	err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("apps")).Put([]byte(key), value)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readRaw returns the value under key in the "apps" bucket of the closed
// store in dir.
func readRaw(t *testing.T, dir, key string) []byte {
	t.Helper()
	db := openDB(t, dir)
	defer db.Close()
	var v []byte
	err := db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket([]byte("apps")).Get([]byte(key)))
		return nil
	})
	if err != nil || v == nil {
		t.Fatalf("reading key %q: %v, %q", key, err, v)
	}
	return v
}

func openDB(t *testing.T, dir string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "wisp.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}
