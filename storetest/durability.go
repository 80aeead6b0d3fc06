package storetest

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/wisphq/wisp"
)

// Durability cases check the contract's promise that whatever a store
// acknowledged is there after a restart, and nothing it refused is.
var durabilityCases = []testCase{
	{name: "EmptyStoreReopens", needsReopen: true, run: testReopenEmpty},
	{name: "BlobsSurviveReopen", needsReopen: true, run: testReopenBlobs},
	{name: "AppsSurviveReopen", needsReopen: true, run: testReopenApps},
	{name: "RevisionsContinueAfterReopen", needsReopen: true, run: testReopenRevisions},
	{name: "RefusedWritesLeaveNothing", needsReopen: true, run: testReopenRefused},
}

func testReopenEmpty(t *testing.T, f *fixture) {
	f.reopen(t)
	testAppListEmpty(t, f)
	putBytes(t, f.store, []byte("usable after reopen"))
}

func testReopenBlobs(t *testing.T, f *fixture) {
	contents := [][]byte{nil, []byte("small"), randomBytes(1<<20, 5), []byte("small")}
	for _, c := range contents {
		putBytes(t, f.store, c)
	}
	f.reopen(t)
	for _, c := range contents {
		checkBlob(t, f.store, c)
	}
	f.reopen(t)
	checkBlob(t, f.store, contents[2])
}

func testReopenApps(t *testing.T, f *fixture) {
	a := putApp(t, f.store, newApp("app-a", 1))
	b := putApp(t, f.store, newApp("app-b", 2))
	b = putApp(t, f.store, withVersion(b))
	c := putApp(t, f.store, newApp("app-c", 3))
	if err := f.store.DeleteApp(t.Context(), "app-c", c.Revision); err != nil {
		t.Fatalf("DeleteApp: %v", err)
	}
	f.reopen(t)

	apps, err := f.store.ListApps(t.Context())
	if err != nil {
		t.Fatalf("ListApps after reopen: %v", err)
	}
	if len(apps) != 2 {
		t.Fatalf("ListApps after reopen returned %d records, want app-a and app-b", len(apps))
	}
	sameApp(t, "app-a after reopen", apps[0], a)
	sameApp(t, "app-b after reopen", apps[1], b)
	checkNoApp(t, f.store, "app-c")
}

func testReopenRevisions(t *testing.T, f *fixture) {
	v1 := putApp(t, f.store, newApp("hello", 1))
	v2 := putApp(t, f.store, withVersion(v1))
	gone := putApp(t, f.store, newApp("gone", 2))
	if err := f.store.DeleteApp(t.Context(), "gone", gone.Revision); err != nil {
		t.Fatalf("DeleteApp: %v", err)
	}
	f.reopen(t)

	stale := withVersion(v1)
	_, err := f.store.PutApp(t.Context(), stale)
	wantErr(t, "PutApp with a stale revision after reopen", err, wisp.ErrConflict)
	v3 := putApp(t, f.store, withVersion(v2)) // checks the revision increased
	checkStored(t, f.store, v3)

	reborn := putApp(t, f.store, newApp("gone", 3))
	for _, old := range []uint64{v1.Revision, v2.Revision, gone.Revision} {
		if reborn.Revision == old {
			t.Fatalf("a record created after reopen got revision %d, used before the reopen", old)
		}
	}
	err = f.store.DeleteApp(t.Context(), "gone", gone.Revision)
	wantErr(t, "DeleteApp with the revision of the record deleted before reopen", err, wisp.ErrConflict)
}

func testReopenRefused(t *testing.T, f *fixture) {
	big := randomBytes(10_000, 6)
	_, err := f.store.PutBlob(t.Context(), bytes.NewReader(big), 1000)
	wantErr(t, "PutBlob over the limit", err, wisp.ErrTooLarge)
	errBroken := errors.New("storetest: connection reset")
	partial := randomBytes(50_000, 7)
	_, err = f.store.PutBlob(t.Context(), &failingReader{content: partial, err: errBroken}, math.MaxInt64)
	wantErr(t, "PutBlob with a failing reader", err, errBroken)
	kept := putApp(t, f.store, newApp("kept", 1))
	_, err = f.store.PutApp(t.Context(), newApp("kept", 2))
	wantErr(t, "second create", err, wisp.ErrConflict)
	f.reopen(t)

	checkNoBlob(t, f.store, digestOf(big))
	checkNoBlob(t, f.store, digestOf(big[:1000]))
	checkNoBlob(t, f.store, digestOf(partial))
	checkStored(t, f.store, kept)
}
