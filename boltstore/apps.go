package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/wisphq/wisp"
)

// ErrCorrupt is wrapped by errors about a stored record this package
// cannot read: not JSON, written by a newer version, or inconsistent.
var ErrCorrupt = errors.New("corrupt record")

// appsBucket holds one record per app, keyed by name. Its sequence is the
// source of revisions.
var appsBucket = []byte("apps")

// recordFormat is the version of the record encoding written by PutApp.
// Bump it when a change would make older versions misread records.
const recordFormat = 1

// record is the stored form of an app: the app itself, Revision included,
// and the format of the encoding.
type record struct {
	Format int      `json:"format"`
	App    wisp.App `json:"app"`
}

// GetApp returns the app's record.
func (s *Store) GetApp(ctx context.Context, name string) (wisp.App, error) {
	var app wisp.App
	err := s.view(ctx, func(b *bolt.Bucket) error {
		var found bool
		var err error
		app, found, err = s.load(b, name)
		if err == nil && !found {
			err = notFound(name)
		}
		return err
	})
	if err != nil {
		return wisp.App{}, fmt.Errorf("get app: %w", err)
	}
	return app, nil
}

// ListApps returns every app's record, sorted by name. It fails, naming
// the app, if any record cannot be read.
func (s *Store) ListApps(ctx context.Context) ([]wisp.App, error) {
	apps := []wisp.App{}
	err := s.view(ctx, func(b *bolt.Bucket) error {
		// bbolt iterates keys in byte order, which is name order.
		return b.ForEach(func(k, v []byte) error {
			app, err := s.decode(string(k), v)
			if err != nil {
				return err
			}
			apps = append(apps, app)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	return apps, nil
}

// PutApp stores app if the stored record is at app.Revision (zero: if
// there is none), giving it the next revision of the store.
func (s *Store) PutApp(ctx context.Context, app wisp.App) (wisp.App, error) {
	if err := wisp.ValidateAppName(app.Name); err != nil {
		return wisp.App{}, fmt.Errorf("put app: %w", err)
	}
	next := app
	err := s.update(ctx, func(b *bolt.Bucket) error {
		stored, found, err := s.load(b, app.Name)
		if err != nil {
			return err
		}
		switch {
		case !found && app.Revision != 0:
			return fmt.Errorf("%w: app %q does not exist (any more), so it cannot be updated from revision %d; create it with revision 0",
				wisp.ErrConflict, app.Name, app.Revision)
		case found && app.Revision == 0:
			return fmt.Errorf("%w: app %q already exists (revision %d); read it and update it from that revision",
				wisp.ErrConflict, app.Name, stored.Revision)
		case found && app.Revision != stored.Revision:
			return fmt.Errorf("%w: app %q is at revision %d, not %d: it changed since it was read; read it again and retry",
				wisp.ErrConflict, app.Name, stored.Revision, app.Revision)
		}
		if next.Revision, err = nextRevision(b, stored.Revision); err != nil {
			return err
		}
		data, err := json.Marshal(record{Format: recordFormat, App: next})
		if err != nil {
			return fmt.Errorf("encode app %q: %w", app.Name, err)
		}
		return b.Put([]byte(app.Name), data)
	})
	if err != nil {
		return wisp.App{}, fmt.Errorf("put app: %w", err)
	}
	return next, nil
}

// DeleteApp removes the app's record if it is at revision.
func (s *Store) DeleteApp(ctx context.Context, name string, revision uint64) error {
	err := s.update(ctx, func(b *bolt.Bucket) error {
		stored, found, err := s.load(b, name)
		switch {
		case err != nil:
			return err
		case !found:
			return notFound(name)
		case stored.Revision != revision:
			return fmt.Errorf("%w: app %q is at revision %d, not %d: it changed since it was read; read it again and retry",
				wisp.ErrConflict, name, stored.Revision, revision)
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("delete app: %w", err)
	}
	return nil
}

// nextRevision advances the bucket's sequence and returns it. Should the
// sequence lag behind the stored revision (a record copied in from another
// database), it jumps past it, so revisions still only grow.
func nextRevision(b *bolt.Bucket, stored uint64) (uint64, error) {
	rev, err := b.NextSequence()
	if err != nil || rev > stored {
		return rev, err
	}
	return stored + 1, b.SetSequence(stored + 1)
}

func notFound(name string) error {
	return fmt.Errorf("%w: there is no app %q", wisp.ErrNotFound, name)
}

// view runs fn on the apps bucket in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(*bolt.Bucket) error) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error { return fn(tx.Bucket(appsBucket)) })
}

// update runs fn on the apps bucket in a read-write transaction, committed
// (and fsynced) if fn returns nil.
func (s *Store) update(ctx context.Context, fn func(*bolt.Bucket) error) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(appsBucket)) })
}

// load reads and decodes the record of name, if there is one.
func (s *Store) load(b *bolt.Bucket, name string) (app wisp.App, found bool, err error) {
	if name == "" {
		return wisp.App{}, false, nil // bbolt has no empty keys
	}
	v := b.Get([]byte(name))
	if v == nil {
		return wisp.App{}, false, nil
	}
	app, err = s.decode(name, v)
	return app, true, err
}

// decode parses a stored record, checking that it is one this version
// can read and that it is consistent with its key.
func (s *Store) decode(name string, data []byte) (wisp.App, error) {
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return wisp.App{}, s.corrupt(name, err.Error())
	}
	switch {
	case rec.Format > recordFormat:
		return wisp.App{}, fmt.Errorf("%w: app %q in %s was written in record format %d by a newer version of wisp; this one reads format %d: upgrade wisp",
			ErrCorrupt, name, s.dbPath(), rec.Format, recordFormat)
	case rec.Format < 1:
		return wisp.App{}, s.corrupt(name, "it has no record format")
	case rec.App.Name != name:
		return wisp.App{}, s.corrupt(name, fmt.Sprintf("it holds app %q", rec.App.Name))
	case rec.App.Revision == 0:
		return wisp.App{}, s.corrupt(name, "it has no revision")
	}
	return rec.App, nil
}

// corrupt reports a record that cannot be read and how to recover.
func (s *Store) corrupt(name, problem string) error {
	return fmt.Errorf("%w: app %q in %s cannot be read: %s; restore %s from a backup, or remove the app's key from bucket %q with the bbolt tool and deploy it again",
		ErrCorrupt, name, s.dbPath(), problem, dbFile, appsBucket)
}

func (s *Store) dbPath() string { return s.db.Path() }
