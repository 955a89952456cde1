package blob_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/blob/blobtest"
)

func benchmarkPutGet(b *testing.B, s blob.Store, c string) {
	ctx := context.Background()
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := s.Put(ctx, c, "bench/export.csv", data, &blob.PutOptions{ContentType: "text/csv"}); err != nil {
			b.Fatal(err)
		}
		got, _, err := s.Get(ctx, c, "bench/export.csv")
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(data) {
			b.Fatalf("got %d bytes, want %d", len(got), len(data))
		}
	}
}

func BenchmarkFSPutGet1MiB(b *testing.B) {
	s, err := blob.NewFS(blob.FSConfig{Root: b.TempDir()})
	require.NoError(b, err)
	benchmarkPutGet(b, s, "bench")
}

func BenchmarkAzurePutGet1MiB(b *testing.B) {
	s, err := blob.NewAzure(blob.AzureConfig{ConnectionString: blobtest.Azurite(b)})
	require.NoError(b, err)
	benchmarkPutGet(b, s, blobtest.ContainerName(b))
}
