package wasi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/wisphq/wisp/internal/component/canon"
)

// addClocks adds wasi:clocks's wall-clock and monotonic-clock.
func addClocks(m map[string]Interface, t *types) {
	m["wasi:clocks/wall-clock"] = Interface{
		"now": fn(nil, t.datetime, func(_ context.Context, s *State, _ []any) ([]any, error) {
			now := s.now()
			sec := now.Unix()
			if sec < 0 {
				return one([]any{uint64(0), uint32(0)})
			}
			return one([]any{uint64(sec), uint32(now.Nanosecond())})
		}),
		"resolution": fn(nil, t.datetime, func(context.Context, *State, []any) ([]any, error) {
			return one([]any{uint64(0), uint32(1)})
		}),
	}
	u64 := canon.U64()
	m["wasi:clocks/monotonic-clock"] = Interface{
		"now": fn(nil, u64, func(_ context.Context, s *State, _ []any) ([]any, error) {
			return one(s.monotonic())
		}),
		"resolution": fn(nil, u64, func(context.Context, *State, []any) ([]any, error) {
			return one(uint64(1))
		}),
		"subscribe-instant": fn(ps(u64), canon.Own(Pollable), func(_ context.Context, s *State, args []any) ([]any, error) {
			when, _ := args[0].(uint64)
			s.now() // sets the clock's zero
			return newRep(s, &pollable{deadline: s.start.Add(duration(when))})
		}),
		"subscribe-duration": fn(ps(u64), canon.Own(Pollable), func(_ context.Context, s *State, args []any) ([]any, error) {
			d, _ := args[0].(uint64)
			return newRep(s, &pollable{deadline: s.now().Add(duration(d))})
		}),
	}
}

// duration converts nanoseconds to a time.Duration, saturating (a
// deadline 292 years away is as good as never).
func duration(ns uint64) time.Duration {
	if ns > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return time.Duration(ns)
}

// MaxRandomBytes is the most bytes one get-random-bytes or
// get-insecure-random-bytes call returns; asking for more traps.
const MaxRandomBytes = 16 << 20

// addRandom adds wasi:random's random, insecure and insecure-seed.
func addRandom(m map[string]Interface, t *types) {
	u64 := canon.U64()
	bytes := func(name string) Func {
		return fn(ps(u64), t.bytes, func(_ context.Context, s *State, args []any) ([]any, error) {
			n, _ := args[0].(uint64)
			if n > MaxRandomBytes {
				return nil, &canon.Trap{Msg: fmt.Sprintf("wasi:random %s asked for %d bytes, more than the %d one call may return", name, n, MaxRandomBytes)}
			}
			b := make([]byte, n)
			if err := s.random(b); err != nil {
				return nil, err
			}
			return one(b)
		})
	}
	number := fn(nil, u64, func(_ context.Context, s *State, _ []any) ([]any, error) {
		var b [8]byte
		if err := s.random(b[:]); err != nil {
			return nil, err
		}
		return one(binary.LittleEndian.Uint64(b[:]))
	})
	m["wasi:random/random"] = Interface{"get-random-bytes": bytes("get-random-bytes"), "get-random-u64": number}
	m["wasi:random/insecure"] = Interface{
		"get-insecure-random-bytes": bytes("get-insecure-random-bytes"),
		"get-insecure-random-u64":   number,
	}
	m["wasi:random/insecure-seed"] = Interface{
		"insecure-seed": fn(nil, canon.Tuple(u64, u64), func(_ context.Context, s *State, _ []any) ([]any, error) {
			var b [16]byte
			if err := s.random(b[:]); err != nil {
				return nil, err
			}
			return one([]any{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])})
		}),
	}
}

// random fills b from the State's source of randomness.
func (s *State) random(b []byte) error {
	r := s.Random
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("wasi:random: reading random bytes: %w", err)
	}
	return nil
}
