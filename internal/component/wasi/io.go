package wasi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wisphq/wisp/internal/component/canon"
)

// ioError is the object behind a wasi:io/error error.
type ioError struct {
	msg    string
	fsCode *uint32 // the wasi:filesystem error-code of a file stream's failure
	// httpCode is the wasi:http error-code of an HTTP body stream's
	// failure (http-error-code), or nil.
	httpCode *canon.VariantValue
}

// pollable is the object behind a wasi:io/poll pollable: ready from
// deadline on (the zero time: ready at once, as every stream's is).
type pollable struct{ deadline time.Time }

// addIO adds wasi:io's interfaces.
func addIO(m map[string]Interface, t *types) {
	m["wasi:io/error"] = Interface{
		"[method]error.to-debug-string": fn(ps(canon.Borrow(Error)), canon.String(), func(_ context.Context, s *State, args []any) ([]any, error) {
			e, err := get[*ioError](s, Error, args[0])
			if err != nil {
				return nil, err
			}
			return one(e.msg)
		}),
		"[resource-drop]error": dropFunc(Error),
	}
	m["wasi:io/poll"] = Interface{
		"[method]pollable.ready": fn(ps(canon.Borrow(Pollable)), canon.Bool(), func(_ context.Context, s *State, args []any) ([]any, error) {
			p, err := get[*pollable](s, Pollable, args[0])
			if err != nil {
				return nil, err
			}
			return one(!s.now().Before(p.deadline))
		}),
		"[method]pollable.block": fn(ps(canon.Borrow(Pollable)), nil, func(ctx context.Context, s *State, args []any) ([]any, error) {
			p, err := get[*pollable](s, Pollable, args[0])
			if err != nil {
				return nil, err
			}
			return nil, s.sleepUntil(ctx, p.deadline)
		}),
		"poll":                    fn(ps(canon.List(canon.Borrow(Pollable))), canon.List(canon.U32()), poll),
		"[resource-drop]pollable": dropFunc(Pollable),
	}
	addStreams(m, t)
}

// get returns the object of type T behind representation v of type rt.
func get[T any](s *State, rt *canon.ResourceType, v any) (T, error) {
	obj, err := s.lookup(rt, v)
	if err != nil {
		var zero T
		return zero, err
	}
	return obj.(T), nil
}

// sleepUntil waits until deadline or until ctx ends; the latter is an
// error, so a guest cannot sleep past its deadline.
func (s *State) sleepUntil(ctx context.Context, deadline time.Time) error {
	d := deadline.Sub(s.now())
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wasi:io/poll: the component's wait ended early: %w", ctx.Err())
	}
}

// poll returns the indices of the ready pollables, waiting for the
// earliest deadline if none is ready.
func poll(ctx context.Context, s *State, args []any) ([]any, error) {
	in, _ := args[0].([]any)
	if len(in) == 0 {
		return nil, &canon.Trap{Msg: "wasi:io/poll.poll was called with an empty list (it would wait forever)"}
	}
	if uint64(len(in)) > math.MaxUint32 {
		return nil, &canon.Trap{Msg: "wasi:io/poll.poll was called with more pollables than a u32 indexes"}
	}
	polls := make([]*pollable, len(in))
	var earliest time.Time
	for i, v := range in {
		p, err := get[*pollable](s, Pollable, v)
		if err != nil {
			return nil, err
		}
		polls[i] = p
		if i == 0 || p.deadline.Before(earliest) {
			earliest = p.deadline
		}
	}
	if err := s.sleepUntil(ctx, earliest); err != nil {
		return nil, err
	}
	now := s.now()
	var ready []any
	for i, p := range polls {
		if !now.Before(p.deadline) {
			ready = append(ready, uint32(i))
		}
	}
	if len(ready) == 0 {
		return nil, errors.New("wasi:io/poll: the clock went backwards while polling")
	}
	return one(ready)
}
