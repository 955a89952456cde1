package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/store"
)

func TestBatcher(t *testing.T) {
	t.Parallel()

	t.Run("ConcurrentCallersShareBatchesAndGetTheirOwnResults", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var sizes []int
		release := make(chan struct{})
		first := true
		b := store.NewBatcher(store.BatchConfig{Workers: 1, Max: 64}, func(n int) []string { return []string{fmt.Sprint(n)} },
			func(_ context.Context, in []int) ([]string, error) {
				mu.Lock()
				sizes = append(sizes, len(in))
				wait := first
				first = false
				mu.Unlock()
				if wait {
					<-release // the first batch runs long: the others gather meanwhile
				}
				out := make([]string, len(in))
				for i, n := range in {
					out[i] = fmt.Sprint("r", n)
				}
				return out, nil
			})
		defer b.Close()
		var wg sync.WaitGroup
		got := make([]string, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := b.Do(context.Background(), i)
				require.NoError(t, err)
				got[i] = r
			}()
		}
		for {
			mu.Lock()
			n := len(sizes)
			mu.Unlock()
			if n == 1 {
				break
			}
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		for i, r := range got {
			require.Equal(t, fmt.Sprint("r", i), r)
		}
		mu.Lock()
		defer mu.Unlock()
		require.Less(t, len(sizes), 50, "fifty callers, fewer statements")
	})

	t.Run("ItemsSharingAKeyNeverShareABatch", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var bad bool
		b := store.NewBatcher(store.BatchConfig{Workers: 1}, func(s string) []string { return []string{s[:1]} },
			func(_ context.Context, in []string) ([]string, error) {
				seen := map[byte]bool{}
				for _, s := range in {
					if seen[s[0]] {
						mu.Lock()
						bad = true
						mu.Unlock()
					}
					seen[s[0]] = true
				}
				return in, nil
			})
		defer b.Close()
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.Do(context.Background(), fmt.Sprintf("%c%d", 'a'+i%3, i))
				require.NoError(t, err)
			}()
		}
		wg.Wait()
		require.False(t, bad)
	})

	t.Run("ABadItemFailsAloneNotItsNeighbours", func(t *testing.T) {
		t.Parallel()
		b := store.NewBatcher(store.BatchConfig{Workers: 1}, func(n int) []string { return []string{fmt.Sprint(n)} },
			func(_ context.Context, in []int) ([]int, error) {
				for _, n := range in {
					if n == 13 {
						return nil, errors.New("SQLSTATE 22021: item 13 is bad")
					}
				}
				return in, nil
			})
		defer b.Close()
		var wg sync.WaitGroup
		errs := make([]error, 30)
		for i := range 30 {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = b.Do(context.Background(), i) }()
		}
		wg.Wait()
		for i, err := range errs {
			if i == 13 {
				require.Error(t, err)
				continue
			}
			require.NoError(t, err, "item %d", i)
		}
	})
}
