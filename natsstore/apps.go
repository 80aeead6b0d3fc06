package natsstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wisphq/wisp"
)

// GetApp implements wisp.Store. It reads from the bucket's stream leader
// (leaderGet): a deploy reads the record it then rewrites at its revision,
// and a replica lagging behind the last write would make that a conflict.
func (s *Store) GetApp(ctx context.Context, name string) (wisp.App, error) {
	if !validKey(name) {
		return wisp.App{}, fmt.Errorf("app %q: %w", name, wisp.ErrNotFound)
	}
	var m *leaderMsg
	err := s.retry(ctx, func(ctx context.Context) (err error) { m, err = s.kvLeaderGet(ctx, s.apps, name); return err })
	switch {
	case err != nil:
		return wisp.App{}, fmt.Errorf("natsstore: get app %q: %w", name, unavailable(err))
	case m == nil || m.deleted():
		return wisp.App{}, fmt.Errorf("app %q: %w", name, wisp.ErrNotFound)
	}
	var app wisp.App
	if err := json.Unmarshal(m.Data, &app); err != nil {
		return wisp.App{}, fmt.Errorf("natsstore: app %q at revision %d is not a JSON app record: %w", name, m.Seq, err)
	}
	app.Revision = m.Seq
	return app, nil
}

// ListApps implements wisp.Store. It reads the bucket with one watch, not
// one request per app.
func (s *Store) ListApps(ctx context.Context) ([]wisp.App, error) {
	apps := []wisp.App{}
	err := s.scan(ctx, s.apps, "apps", true, func(e jetstream.KeyValueEntry) error {
		app, err := decodeApp(e)
		apps = append(apps, app)
		return err
	})
	if err != nil {
		return nil, err
	}
	return apps, nil // scan goes in key order
}

// PutApp implements wisp.Store with the bucket's compare-and-swap: Create
// for a new record, Update on the expected revision otherwise.
func (s *Store) PutApp(ctx context.Context, app wisp.App) (wisp.App, error) {
	if err := wisp.ValidateAppName(app.Name); err != nil {
		return wisp.App{}, err
	}
	expect := app.Revision
	app.Revision = 0
	data, err := json.Marshal(app)
	if err != nil {
		return wisp.App{}, fmt.Errorf("natsstore: encode app %q: %w", app.Name, err)
	}
	// A write whose acknowledgement was lost (its server died, the
	// stream changed leader) is retried; if the retry then conflicts, the
	// first attempt may have been stored after all, which the record's
	// content tells: it is this exact write, timestamps included.
	var rev uint64
	uncertain := false
	err = s.retry(ctx, func(ctx context.Context) (err error) {
		if expect == 0 {
			rev, err = s.apps.Create(ctx, app.Name, data)
		} else {
			rev, err = s.apps.Update(ctx, app.Name, data, expect)
		}
		uncertain = uncertain || (err != nil && transient(err))
		return err
	})
	if uncertain && (errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)) {
		var m *leaderMsg
		gerr := s.retry(ctx, func(ctx context.Context) (err error) {
			m, err = s.kvLeaderGet(ctx, s.apps, app.Name)
			return err
		})
		found := m != nil && !m.deleted()
		var stored []byte
		if found {
			rev, stored = m.Seq, m.Data
		}
		switch {
		case gerr != nil:
			return wisp.App{}, fmt.Errorf("natsstore: put app %q: %w", app.Name, unavailable(fmt.Errorf("the write may or may not be stored (%w): read the app and deploy again if needed", gerr)))
		case found && bytes.Equal(stored, data):
			err = nil // the first attempt landed
		}
	}
	if errors.Is(err, nats.ErrMaxPayload) {
		return wisp.App{}, fmt.Errorf("app %q: its record, with all %d versions, is larger than NATS accepts in one message (its max_payload, 1 MiB by default): raise max_payload on the NATS servers, or remove the app and deploy it afresh: %w", app.Name, len(app.Versions), wisp.ErrTooLarge)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		return wisp.App{}, fmt.Errorf("app %q already exists (created concurrently): %w", app.Name, wisp.ErrConflict)
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return wisp.App{}, fmt.Errorf("app %q changed since revision %d was read: %w", app.Name, expect, wisp.ErrConflict)
	case err != nil:
		return wisp.App{}, fmt.Errorf("natsstore: put app %q: %w", app.Name, unavailable(err))
	}
	app.Revision = rev // the store keeps JSON: nothing it holds aliases app
	return app, nil
}

// DeleteApp implements wisp.Store: a delete marker written only if the
// record is still at revision.
func (s *Store) DeleteApp(ctx context.Context, name string, revision uint64) error {
	cur, err := s.GetApp(ctx, name)
	if err != nil {
		return err
	}
	if cur.Revision != revision { // also for 0, which Delete reads as "any"
		return fmt.Errorf("app %q is at revision %d, not %d: %w", name, cur.Revision, revision, wisp.ErrConflict)
	}
	uncertain := false // as in PutApp
	err = s.retry(ctx, func(ctx context.Context) error {
		err := s.apps.Delete(ctx, name, jetstream.LastRevision(revision))
		uncertain = uncertain || (err != nil && transient(err))
		return err
	})
	if uncertain && errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		if _, gerr := s.apps.Get(ctx, name); errors.Is(gerr, jetstream.ErrKeyDeleted) || errors.Is(gerr, jetstream.ErrKeyNotFound) {
			err = nil // the first attempt deleted it
		}
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return fmt.Errorf("app %q changed since revision %d was read: %w", name, revision, wisp.ErrConflict)
	case err != nil:
		return fmt.Errorf("natsstore: delete app %q: %w", name, unavailable(err))
	}
	return nil
}

func decodeApp(e jetstream.KeyValueEntry) (wisp.App, error) {
	var app wisp.App
	if err := json.Unmarshal(e.Value(), &app); err != nil {
		return wisp.App{}, fmt.Errorf("natsstore: app %q at revision %d is not a JSON app record: %w", e.Key(), e.Revision(), err)
	}
	app.Revision = e.Revision()
	return app, nil
}
