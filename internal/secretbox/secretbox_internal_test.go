package secretbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLoadOrCreateSyncsDirectory checks that a new key file's directory
// (and its parent, if the directory is new) is fsynced once the file is
// linked into it, and that a failed sync fails the call; an existing file
// needs no sync.
func TestLoadOrCreateSyncsDirectory(t *testing.T) {
	errSync := errors.New("sync failed")
	for _, tc := range []struct {
		name     string
		exists   bool
		newDir   bool
		syncErr  error
		wantSync int // directories synced: the file's, then its parent
		wantErr  error
	}{
		{"new file", false, false, nil, 1, nil},
		{"new file in a new directory", false, true, nil, 2, nil},
		{"new file, sync fails", false, false, errSync, 1, errSync},
		{"existing file", true, false, nil, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			if !tc.newDir {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "secret.key")
			if tc.exists {
				if _, _, err := LoadOrCreate(path); err != nil {
					t.Fatal(err)
				}
			}
			var synced []string
			_, created, err := loadOrCreate(path, func(dir string) error {
				if _, err := os.Stat(path); err != nil {
					t.Errorf("the directory was synced before the key file was linked into it: %v", err)
				}
				synced = append(synced, dir)
				return tc.syncErr
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("loadOrCreate error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && created == tc.exists {
				t.Errorf("created = %v for a file that existed: %v", created, tc.exists)
			}
			want := []string{dir, filepath.Dir(dir)}[:tc.wantSync]
			if !slices.Equal(synced, want) {
				t.Errorf("synced directories %q, want %q", synced, want)
			}
		})
	}
}
