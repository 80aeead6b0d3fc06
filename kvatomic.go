package wisp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// KVReservedPrefix starts the names of key-value stores the node keeps for
// itself (its variables live in "_variables"). Apps cannot declare such a
// name (ValidateKVStoreName refuses it); KV.Open accepts it, and
// KV.Stores leaves it out.
const KVReservedPrefix = "_"

// ValidateKVStoreOpenName reports whether KV.Open accepts name: a name
// ValidateKVStoreName accepts, or one with KVReservedPrefix before such a
// name ("_variables"). Every KV implementation checks names with it.
func ValidateKVStoreOpenName(name string) error {
	if rest, ok := strings.CutPrefix(name, KVReservedPrefix); ok && rest != "" && ValidateKVStoreName(rest) == nil {
		return nil
	}
	return ValidateKVStoreName(name)
}

// KVAtomicAttempts is how many times KVIncrement and KVCompareAndSwap
// read and conditionally write before giving up with ErrConflict: enough
// for dozens of writers racing on one key. Between attempts they wait a
// random time below a ceiling that doubles from 0.5 ms up to 10 ms, so a
// call that loses every race gives up after about half a second.
const KVAtomicAttempts = 100

// KVIncrement adds delta to the integer stored at key and returns the new
// value. The value is a decimal int64 in ASCII, as strconv.ParseInt reads
// it (an optional sign, no spaces); an absent key counts as 0 and is
// created without an expiry; an existing entry keeps its Expires.
//
// It is linearizable on every backend: it reads the entry's revision and
// writes with Create or Update on it, retrying with a short jittered
// backoff when another writer got there first. Errors: ErrInvalid if the
// stored value is not a decimal int64, ErrLimit if the sum overflows
// int64 (or the store is full), ErrConflict if it lost the race
// KVAtomicAttempts times, ctx's error if ctx ends while it backs off, and
// whatever the store returns (ErrUnavailable...).
func KVIncrement(ctx context.Context, s KVStore, key string, delta int64) (int64, error) {
	var result int64
	err := kvRetry(ctx, "increment", key, func() error {
		e, err := s.Get(ctx, key)
		var cur int64
		switch {
		case errors.Is(err, ErrNotFound):
			e = KVEntry{}
		case err != nil:
			return err
		default:
			if cur, err = strconv.ParseInt(string(e.Value), 10, 64); err != nil {
				return errorf(ErrInvalid, "increment key %q: its value %s is not a decimal 64-bit integer; set it to a number such as \"0\" first", key, quoteValue(e.Value))
			}
		}
		next := cur + delta
		if (delta > 0 && next < cur) || (delta < 0 && next > cur) {
			return errorf(ErrLimit, "increment key %q: %d + %d overflows a 64-bit integer", key, cur, delta)
		}
		if err := kvWrite(ctx, s, key, e, []byte(strconv.FormatInt(next, 10))); err != nil {
			return err
		}
		result = next
		return nil
	})
	return result, err
}

// KVCompareAndSwap sets key to new if its value equals old byte for byte
// or, with expectAbsent, if the key is absent (old is then ignored). It
// reports whether it swapped; a value that differs (or a key that is
// absent, or present when expectAbsent) is not an error: swapped is
// false and nothing changes. An existing entry keeps its Expires; a
// created one has none.
//
// It is linearizable on every backend, like KVIncrement, and fails the
// same ways (ErrConflict after KVAtomicAttempts lost races).
func KVCompareAndSwap(ctx context.Context, s KVStore, key string, old []byte, expectAbsent bool, new []byte) (swapped bool, err error) {
	err = kvRetry(ctx, "compare-and-swap", key, func() error {
		e, err := s.Get(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			if !expectAbsent {
				return nil
			}
			e = KVEntry{}
		case err != nil:
			return err
		case expectAbsent || !bytes.Equal(e.Value, old):
			return nil
		}
		if err := kvWrite(ctx, s, key, e, new); err != nil {
			return err
		}
		swapped = true
		return nil
	})
	return swapped, err
}

// kvWrite writes value over e, the entry read (Revision 0: absent) with
// the store's compare-and-swap.
func kvWrite(ctx context.Context, s KVStore, key string, e KVEntry, value []byte) error {
	var err error
	if e.Revision == 0 {
		_, err = s.Create(ctx, key, value, time.Time{})
	} else {
		_, err = s.Update(ctx, key, value, e.Expires, e.Revision)
	}
	return err
}

// kvRetry calls attempt until it succeeds or fails with an error other
// than ErrConflict, backing off between attempts.
func kvRetry(ctx context.Context, what, key string, attempt func() error) error {
	backoff := 500 * time.Microsecond
	for i := 1; ; i++ {
		err := attempt()
		switch {
		case err == nil || !errors.Is(err, ErrConflict):
			return err
		case i == KVAtomicAttempts:
			return errorf(ErrConflict, "%s of key %q: raced with other writers %d times in a row; try again (%w)", what, key, i, err)
		}
		// Full jitter: a random wait up to a ceiling that doubles, so
		// writers that collided spread out instead of colliding again.
		t := time.NewTimer(rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s of key %q: %w", what, key, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 10*time.Millisecond)
	}
}

// quoteValue shows a stored value in an error: quoted, and cut if long.
func quoteValue(v []byte) string {
	const max = 40
	if len(v) > max {
		return strconv.Quote(string(v[:max])) + "..."
	}
	return strconv.Quote(string(v))
}
