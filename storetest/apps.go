package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

var appCases = []testCase{
	{name: "CreateSetsRevision", run: testAppCreate},
	{name: "GetReturnsExactlyWhatWasStored", run: testAppGetExact},
	{name: "TimesKeepTheirInstant", run: testAppTimes},
	{name: "CreateTwiceConflicts", run: testAppCreateTwice},
	{name: "UpdateWithCurrentRevision", run: testAppUpdate},
	{name: "StaleUpdateConflicts", run: testAppStaleUpdate},
	{name: "UpdateOfMissingConflicts", run: testAppUpdateMissing},
	{name: "AppsAreIndependent", run: testAppIndependent},
	{name: "GetUnknownNotFound", run: testAppGetUnknown},
	{name: "ListEmpty", run: testAppListEmpty},
	{name: "ListSortedByName", run: testAppListSorted},
	{name: "DeleteRemovesRecord", run: testAppDelete},
	{name: "DeleteStaleConflicts", run: testAppDeleteStale},
	{name: "DeleteUnknownNotFound", run: testAppDeleteUnknown},
	{name: "RecreateAfterDeleteNeverReusesRevisions", run: testAppRecreate},
	{name: "ReturnedRecordsAreCopies", run: testAppCopies},
	{name: "RacingCreatesHaveOneWinner", run: testAppRacingCreates},
	{name: "RacingUpdatesHaveOneWinner", run: testAppRacingUpdates},
}

// putApp stores app and checks the result: the record as given, with a
// revision greater than the one it replaced.
func putApp(t *testing.T, s wisp.Store, app wisp.App) wisp.App {
	t.Helper()
	got, err := s.PutApp(t.Context(), app)
	if err != nil {
		t.Fatalf("PutApp(%q, revision %d): %v", app.Name, app.Revision, err)
	}
	if got.Revision <= app.Revision {
		t.Fatalf("PutApp(%q, revision %d) returned revision %d; it must increase", app.Name, app.Revision, got.Revision)
	}
	want := app
	want.Revision = got.Revision
	sameApp(t, "PutApp result", got, want)
	return got
}

// getApp returns the stored record, failing t if there is none.
func getApp(t *testing.T, s wisp.Store, name string) wisp.App {
	t.Helper()
	got, err := s.GetApp(t.Context(), name)
	if err != nil {
		t.Fatalf("GetApp(%q): %v", name, err)
	}
	return got
}

// sameApp fails t unless got and want are deeply equal.
func sameApp(t *testing.T, what string, got, want wisp.App) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs from what was stored:\n got: %+v\nwant: %+v", what, got, want)
	}
}

// checkStored asserts that GetApp returns exactly want.
func checkStored(t *testing.T, s wisp.Store, want wisp.App) {
	t.Helper()
	sameApp(t, fmt.Sprintf("GetApp(%q)", want.Name), getApp(t, s, want.Name), want)
}

// checkNoApp asserts that GetApp finds no record of name.
func checkNoApp(t *testing.T, s wisp.Store, name string) {
	t.Helper()
	app, err := s.GetApp(t.Context(), name)
	if !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("GetApp(%q) = %+v, %v; want an error wrapping ErrNotFound", name, app, err)
	}
}

// withVersion returns app with one more version, made current.
func withVersion(app wisp.App) wisp.App {
	next := app.Versions[len(app.Versions)-1]
	next.Number++
	next.CreatedAt = next.CreatedAt.Add(time.Minute)
	next.Spec.Env = map[string]string{"VERSION": fmt.Sprint(next.Number)}
	app.Versions = append(slices.Clone(app.Versions), next)
	app.Current = next.Number
	return app
}

func testAppCreate(t *testing.T, f *fixture) {
	app := newApp("hello", 1)
	if app.Revision != 0 {
		t.Fatal("fixture has a revision")
	}
	got := putApp(t, f.store, app)
	if got.Revision == 0 {
		t.Fatal("PutApp of a new record returned revision 0; a stored record's revision is never zero")
	}
}

func testAppGetExact(t *testing.T, f *fixture) {
	stored := putApp(t, f.store, newApp("hello", 1))
	checkStored(t, f.store, stored)
}

func testAppTimes(t *testing.T, f *fixture) {
	app := newApp("zoned", 1)
	tokyo := time.FixedZone("JST", 9*60*60)
	app.Versions[0].CreatedAt = testTime.In(tokyo)
	putApp(t, f.store, app)
	got := getApp(t, f.store, "zoned")
	if !got.Versions[0].CreatedAt.Equal(testTime) {
		t.Fatalf("CreatedAt = %v, want the instant %v (in any zone)", got.Versions[0].CreatedAt, testTime)
	}
}

func testAppCreateTwice(t *testing.T, f *fixture) {
	first := putApp(t, f.store, newApp("hello", 1))
	_, err := f.store.PutApp(t.Context(), newApp("hello", 2))
	wantErr(t, "second create (revision 0) of the same name", err, wisp.ErrConflict)
	checkStored(t, f.store, first)
}

func testAppUpdate(t *testing.T, f *fixture) {
	v1 := putApp(t, f.store, newApp("hello", 1))
	v2 := putApp(t, f.store, withVersion(v1))
	checkStored(t, f.store, v2)
	v3 := putApp(t, f.store, withVersion(v2))
	if v3.Revision <= v2.Revision || v2.Revision <= v1.Revision {
		t.Fatalf("revisions %d, %d, %d do not increase", v1.Revision, v2.Revision, v3.Revision)
	}
	checkStored(t, f.store, v3)
}

func testAppStaleUpdate(t *testing.T, f *fixture) {
	v1 := putApp(t, f.store, newApp("hello", 1))
	v2 := putApp(t, f.store, withVersion(v1))
	for _, tc := range []struct {
		name     string
		revision uint64
	}{
		{"PreviousRevision", v1.Revision},
		{"FutureRevision", v2.Revision + 1000},
		{"ZeroRevision", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stale := withVersion(v2)
			stale.Revision = tc.revision
			_, err := f.store.PutApp(t.Context(), stale)
			wantErr(t, fmt.Sprintf("PutApp with revision %d when the record is at %d", tc.revision, v2.Revision), err, wisp.ErrConflict)
			checkStored(t, f.store, v2)
		})
	}
}

func testAppUpdateMissing(t *testing.T, f *fixture) {
	app := newApp("ghost", 1)
	app.Revision = 42
	_, err := f.store.PutApp(t.Context(), app)
	wantErr(t, "PutApp with revision 42 of a record that does not exist", err, wisp.ErrConflict)
	checkNoApp(t, f.store, "ghost")
}

// A revision guards one record: changing another record does not make it
// stale.
func testAppIndependent(t *testing.T, f *fixture) {
	a := putApp(t, f.store, newApp("app-a", 1))
	b := putApp(t, f.store, newApp("app-b", 2))
	b = putApp(t, f.store, withVersion(b))
	a2 := putApp(t, f.store, withVersion(a))
	checkStored(t, f.store, a2)
	checkStored(t, f.store, b)
	if err := f.store.DeleteApp(t.Context(), "app-b", b.Revision); err != nil {
		t.Fatalf("DeleteApp(app-b, %d): %v", b.Revision, err)
	}
	checkStored(t, f.store, a2)
}

func testAppGetUnknown(t *testing.T, f *fixture) {
	putApp(t, f.store, newApp("known", 1))
	checkNoApp(t, f.store, "unknown")
}

func testAppListEmpty(t *testing.T, f *fixture) {
	apps, err := f.store.ListApps(t.Context())
	if err != nil {
		t.Fatalf("ListApps of an empty store: %v", err)
	}
	if len(apps) != 0 {
		t.Fatalf("ListApps of an empty store returned %d records", len(apps))
	}
}

func testAppListSorted(t *testing.T, f *fixture) {
	// Inserted out of order; "a-b" < "a0" < "ab" byte-wise.
	names := []string{"zeta", "ab", "m", "a0", "a-b", "a", "z9"}
	want := map[string]wisp.App{}
	for i, n := range names {
		want[n] = putApp(t, f.store, newApp(n, i))
	}
	want["m"] = putApp(t, f.store, withVersion(want["m"]))

	apps, err := f.store.ListApps(t.Context())
	if err != nil {
		t.Fatalf("ListApps: %v", err)
	}
	var got []string
	for _, a := range apps {
		got = append(got, a.Name)
	}
	sorted := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, sorted) {
		t.Fatalf("ListApps names = %q, want %q", got, sorted)
	}
	for _, a := range apps {
		sameApp(t, fmt.Sprintf("ListApps record %q", a.Name), a, want[a.Name])
	}
}

func testAppDelete(t *testing.T, f *fixture) {
	keep := putApp(t, f.store, newApp("keep", 1))
	gone := putApp(t, f.store, newApp("gone", 2))
	if err := f.store.DeleteApp(t.Context(), "gone", gone.Revision); err != nil {
		t.Fatalf("DeleteApp(gone, %d): %v", gone.Revision, err)
	}
	checkNoApp(t, f.store, "gone")
	apps, err := f.store.ListApps(t.Context())
	if err != nil {
		t.Fatalf("ListApps: %v", err)
	}
	if len(apps) != 1 {
		t.Fatalf("ListApps after a delete returned %d records, want only %q", len(apps), "keep")
	}
	sameApp(t, "ListApps record", apps[0], keep)
	err = f.store.DeleteApp(t.Context(), "gone", gone.Revision)
	wantErr(t, "deleting a deleted record", err, wisp.ErrNotFound)
}

func testAppDeleteStale(t *testing.T, f *fixture) {
	v1 := putApp(t, f.store, newApp("hello", 1))
	v2 := putApp(t, f.store, withVersion(v1))
	for _, tc := range []struct {
		name     string
		revision uint64
	}{
		{"PreviousRevision", v1.Revision},
		{"FutureRevision", v2.Revision + 1000},
		{"ZeroRevision", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.store.DeleteApp(t.Context(), "hello", tc.revision)
			wantErr(t, fmt.Sprintf("DeleteApp with revision %d when the record is at %d", tc.revision, v2.Revision), err, wisp.ErrConflict)
			checkStored(t, f.store, v2)
		})
	}
}

func testAppDeleteUnknown(t *testing.T, f *fixture) {
	putApp(t, f.store, newApp("known", 1))
	for _, rev := range []uint64{0, 1} {
		err := f.store.DeleteApp(t.Context(), "unknown", rev)
		wantErr(t, fmt.Sprintf("DeleteApp(unknown, %d)", rev), err, wisp.ErrNotFound)
	}
}

// A writer that read a record before it was deleted and created again must
// not be able to overwrite the new record with its old revision.
func testAppRecreate(t *testing.T, f *fixture) {
	seen := map[uint64]bool{}
	old := putApp(t, f.store, newApp("phoenix", 1))
	seen[old.Revision] = true
	old = putApp(t, f.store, withVersion(old))
	seen[old.Revision] = true
	if err := f.store.DeleteApp(t.Context(), "phoenix", old.Revision); err != nil {
		t.Fatalf("DeleteApp: %v", err)
	}
	for i := range 3 {
		reborn := putApp(t, f.store, newApp("phoenix", 10+i))
		if seen[reborn.Revision] {
			t.Fatalf("the recreated record got revision %d, which the deleted one had", reborn.Revision)
		}
		seen[reborn.Revision] = true
		if i < 2 {
			if err := f.store.DeleteApp(t.Context(), "phoenix", reborn.Revision); err != nil {
				t.Fatalf("DeleteApp: %v", err)
			}
		}
	}
	reborn := getApp(t, f.store, "phoenix")
	stale := withVersion(old)
	_, err := f.store.PutApp(t.Context(), stale)
	wantErr(t, "PutApp with the revision of a deleted record", err, wisp.ErrConflict)
	checkStored(t, f.store, reborn)
}

// Neither the caller's value nor a returned one may alias the stored
// record: changing them must not change what GetApp returns.
func testAppCopies(t *testing.T, f *fixture) {
	in := newApp("hello", 1)
	stored := putApp(t, f.store, in)
	want := newApp("hello", 1)
	want.Revision = stored.Revision

	in.Versions[0].Spec.Env["GREETING"] = "changed by the caller"
	in.Versions[0].Spec.Routes[0].Path = "/changed"
	stored.Versions[1].Number = 99
	got := getApp(t, f.store, "hello")
	got.Versions[0].Spec.Env["GREETING"] = "changed by a reader"
	got.Versions[0].Spec.Files[0].Mount = "/changed"
	listed, err := f.store.ListApps(t.Context())
	if err != nil {
		t.Fatalf("ListApps: %v", err)
	}
	listed[0].Versions[0].Spec.Env["EMPTY"] = "changed by a lister"

	checkStored(t, f.store, want)
}

// racers is how many goroutines race to write one record.
const racers = 16

// race runs put from racers goroutines released at once, and checks that
// exactly one succeeded and every other failed with ErrConflict. It
// returns the winner's result.
func race(t *testing.T, put func(i int) (wisp.App, error)) wisp.App {
	t.Helper()
	results := make([]wisp.App, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = put(i)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both succeeded writing from the same revision", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, wisp.ErrConflict):
			t.Fatalf("racer %d lost with %v; want an error wrapping ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("all %d racers failed; exactly one must win", racers)
	}
	return results[winner]
}

func testAppRacingCreates(t *testing.T, f *fixture) {
	won := race(t, func(i int) (wisp.App, error) {
		return f.store.PutApp(t.Context(), newApp("contested", i))
	})
	checkStored(t, f.store, won)
}

func testAppRacingUpdates(t *testing.T, f *fixture) {
	base := putApp(t, f.store, newApp("contested", 0))
	won := race(t, func(i int) (wisp.App, error) {
		app := withVersion(base)
		app.Versions[len(app.Versions)-1].Spec.Env["RACER"] = fmt.Sprint(i)
		return f.store.PutApp(t.Context(), app)
	})
	if won.Revision <= base.Revision {
		t.Fatalf("winning update has revision %d, not above %d", won.Revision, base.Revision)
	}
	checkStored(t, f.store, won)
}
