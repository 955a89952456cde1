package blob_test

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/blob/blobtest"
)

func TestAzureStore(t *testing.T) {
	conn := blobtest.Azurite(t)
	testStoreContract(t, func(t *testing.T) harness {
		s, err := blob.NewAzure(blob.AzureConfig{ConnectionString: conn})
		require.NoError(t, err)
		return harness{store: s, advance: func(time.Duration) {}}
	})
}

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestNewAzureValidatesConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     blob.AzureConfig
		wantErr string // empty: valid
	}{
		{"NothingSetNamesBothSettings", blob.AzureConfig{}, "AzureConfig.ConnectionString or AzureConfig.ServiceURL is required"},
		{"ServiceURLWithoutCredentialNamesCredential", blob.AzureConfig{ServiceURL: "https://acct.blob.core.windows.net/"}, "AzureConfig.Credential is required"},
		{"BothStylesAreRefused", blob.AzureConfig{ConnectionString: "AccountName=a;AccountKey=a2V5", ServiceURL: "https://acct.blob.core.windows.net/"}, "not both"},
		{"ServiceURLMustBeHTTP", blob.AzureConfig{ServiceURL: "acct.blob.core.windows.net", Credential: fakeCredential{}}, "AzureConfig.ServiceURL"},
		{"DevelopmentStorageShortcutIsRefused", blob.AzureConfig{ConnectionString: "UseDevelopmentStorage=true"}, "AzureConfig.ConnectionString"},
		{"ServiceURLWithCredential", blob.AzureConfig{ServiceURL: "https://acct.blob.core.windows.net/", Credential: fakeCredential{}}, ""},
		// Nothing listens on port 1: the constructor must not connect.
		{"ConnectionStringDoesNoIO", blob.AzureConfig{ConnectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
			blobtest.AccountKey + ";BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := blob.NewAzure(tc.cfg)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.NotNil(t, s)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.NotContains(t, err.Error(), blobtest.AccountKey)
		})
	}
}

func TestAzureMissingServerFailsWithinContext(t *testing.T) {
	s, err := blob.NewAzure(blob.AzureConfig{ConnectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
		blobtest.AccountKey + ";BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err = s.Get(ctx, "archive", "x")
	require.Error(t, err)
	assert.NotErrorIs(t, err, blob.ErrNotFound)
}
