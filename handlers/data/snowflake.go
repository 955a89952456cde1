package data

import (
	"context"
	"errors"
	"time"

	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/snowflake"
	"github.com/popsockets/integration/shared/staging"
)

// SnowflakeSettings declares the Snowflake connection, read by the named
// functions when WAREHOUSE is snowflake.
func SnowflakeSettings(functions ...string) []kit.Setting {
	opt := func(name, desc string, secret bool) kit.Setting {
		return kit.Setting{Name: name, Description: desc + " (WAREHOUSE=snowflake)", Optional: true, Secret: secret, Functions: functions}
	}
	return []kit.Setting{
		opt("SNOWFLAKE_ACCOUNT", "Snowflake account identifier (orgname-accountname)", false),
		opt("SNOWFLAKE_USER", "Snowflake service user, with the key pair's public key", false),
		opt("SNOWFLAKE_ROLE", "Snowflake role of the load", false),
		opt("SNOWFLAKE_WAREHOUSE", "Snowflake virtual warehouse the load runs on", false),
		opt("SNOWFLAKE_DATABASE", "Snowflake database of the tables", false),
		opt("SNOWFLAKE_SCHEMA", "Snowflake schema of the tables and the load log", false),
		opt("SNOWFLAKE_STAGE", "Snowflake external stage over the staging container", false),
		opt("SNOWFLAKE_PRIVATE_KEY", "PEM of the service user's unencrypted PKCS#8 RSA key (Key Vault)", true),
	}
}

// Snowflake is the warehouse in Azure: package snowflake's loader, which
// COPYs the file from the external stage over the staging container.
type Snowflake struct {
	Loader SnowflakeLoader
}

// SnowflakeLoader is what Snowflake needs of package snowflake.
type SnowflakeLoader interface {
	Load(ctx context.Context, name string, d staging.Dataset) (snowflake.Result, error)
}

var _ SnowflakeLoader = (*snowflake.Loader)(nil)

var _ Warehouse = (*Snowflake)(nil)

// Load loads f once; a file Snowflake refuses is a *RejectedFile with
// Snowflake's rejected rows.
func (s *Snowflake) Load(ctx context.Context, f StagedFile) (Loaded, error) {
	res, err := s.Loader.Load(ctx, f.Name, f.Part.Dataset)
	var ce *snowflake.CopyError
	if errors.As(err, &ce) {
		rej := &RejectedFile{File: f.Name}
		for _, r := range ce.Rows {
			rej.Rows = append(rej.Rows, Rejected{Line: r.Line, Column: r.Column, Message: r.Message})
		}
		return Loaded{}, rej
	}
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{Rows: res.Rows, Skipped: res.Skipped}, nil
}

func snowflakeConfig(p *kit.Parts) snowflake.Config {
	return snowflake.Config{Account: p.Setting("SNOWFLAKE_ACCOUNT"), User: p.Setting("SNOWFLAKE_USER"), Role: p.Setting("SNOWFLAKE_ROLE"),
		Warehouse: p.Setting("SNOWFLAKE_WAREHOUSE"), Database: p.Setting("SNOWFLAKE_DATABASE"), Schema: p.Setting("SNOWFLAKE_SCHEMA"),
		PrivateKey: p.Setting("SNOWFLAKE_PRIVATE_KEY"), Stage: p.Setting("SNOWFLAKE_STAGE"), LoginTimeout: 30 * time.Second}
}

// snowflakeWarehouse builds the Snowflake loader; it opens no connection.
func snowflakeWarehouse(cfg snowflake.Config) (Warehouse, error) {
	db, err := snowflake.Open(cfg)
	if err != nil {
		return nil, err
	}
	l, err := snowflake.NewLoader(db, cfg.Stage)
	if err != nil {
		return nil, err
	}
	return &Snowflake{Loader: l}, nil
}
