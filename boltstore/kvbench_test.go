package boltstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
)

// BenchmarkKVSet measures Sets of distinct keys into one store with a
// quota, from one goroutine and from many at once, and how long a PutApp
// (the app registry's write, on the same file) takes meanwhile. Each Set
// is durable when it returns, so its cost is mostly an fsync.
func BenchmarkKVSet(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, err := boltstore.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			st, err := s.KV().Open(b.Context(), "bench", wisp.KVQuota{MaxKeys: 1 << 30, MaxBytes: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			value := make([]byte, 100)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := w; i < b.N; i += writers {
						if _, err := st.Set(b.Context(), fmt.Sprintf("k%d", i), value, time.Time{}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// BenchmarkPutAppUnderKVLoad measures PutApp while 64 goroutines set keys
// without pause: the app registry shares bbolt's single writer with the
// key-value stores.
func BenchmarkPutAppUnderKVLoad(b *testing.B) {
	s, err := boltstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	st, err := s.KV().Open(b.Context(), "bench", wisp.KVQuota{})
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.Set(b.Context(), fmt.Sprintf("k%d-%d", w, i), make([]byte, 100), time.Time{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	app := wisp.App{Name: "a"}
	b.ResetTimer()
	for range b.N {
		if app, err = s.PutApp(b.Context(), app); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
}
