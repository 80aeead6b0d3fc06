// Package storetest is the conformance suite every [wisp.Store] must pass.
//
// An implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) wisp.Store { ... a fresh, empty store ... },
//			Reopen: func(t *testing.T, s wisp.Store) wisp.Store {
//				... close s, open the same persistent state again ...
//			},
//		})
//	}
//
// Every sentence of the Store contract has a named subtest, so a failure
// reads like the rule that was broken, for example
// "TestConformance/Apps/StaleUpdateConflicts". Subtests run one after the
// other, each on a fresh store.
//
// Beyond the letter of the contract the suite also requires what every
// caller of a Store relies on:
//   - OpenBlob and StatBlob reject a malformed digest with an error wrapping
//     [wisp.ErrInvalid] or [wisp.ErrNotFound], and never treat it as a path;
//   - PutBlob stops reading soon after the limit is passed and wraps the
//     reader's own error when the reader fails;
//   - revisions are never reused for a name, even after a delete, so a
//     writer holding a revision of a deleted record cannot overwrite the
//     record created after it;
//   - the store keeps no reference to a record it was given or returned:
//     changing one afterwards does not change what GetApp returns.
package storetest

import (
	"testing"

	"github.com/wisphq/wisp"
)

// Harness tells [Run] how to make stores of the implementation under test.
type Harness struct {
	// New returns a fresh, empty store. It is called once per subtest; the
	// suite closes the store (or the one Reopen returned for it) when the
	// subtest ends. Required.
	New func(t *testing.T) wisp.Store
	// Reopen closes s and returns a new store over the same persistent
	// state, as a restarted process would see it. Nil skips the durability
	// subtests (for stores that persist nothing, such as an in-memory one).
	Reopen func(t *testing.T, s wisp.Store) wisp.Store
}

// Run runs the conformance suite against stores made by h. It fails t for
// every broken rule and never calls t.Parallel, so h.New may share
// resources between subtests as long as each store starts out empty.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest.Harness.New is nil: set it to a function returning a fresh, empty store")
	}
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Blobs", blobCases},
		{"Apps", appCases},
		{"Durability", durabilityCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					if c.needsReopen && h.Reopen == nil {
						t.Skip("Harness.Reopen is nil: the store is not persistent")
					}
					c.run(t, newFixture(t, h))
				})
			}
		})
	}
}

// testCase is one named rule of the contract.
type testCase struct {
	name        string
	needsReopen bool
	run         func(t *testing.T, f *fixture)
}

// fixture holds the store a subtest works on. Reopen replaces it; the last
// one is closed when the subtest ends.
type fixture struct {
	h     Harness
	store wisp.Store
}

func newFixture(t *testing.T, h Harness) *fixture {
	t.Helper()
	f := &fixture{h: h, store: h.New(t)}
	if f.store == nil {
		t.Fatal("Harness.New returned a nil store")
	}
	t.Cleanup(func() {
		if f.store == nil {
			return // Reopen failed after closing the old store
		}
		if err := f.store.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// reopen swaps the fixture's store for a reopened one, as after a restart.
func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	old := f.store
	f.store = nil
	s := f.h.Reopen(t, old)
	if s == nil {
		t.Fatal("Harness.Reopen returned a nil store")
	}
	f.store = s
}
