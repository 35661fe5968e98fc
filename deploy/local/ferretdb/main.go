// Command owlery-ferretdb runs an embedded FerretDB v1 (MongoDB wire protocol)
// with the SQLite handler, for local development and tests of Owlery.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb instead of building
// cmd/ferretdb: this module's path is not FerretDB's, so FerretDB's build
// version check (which needs a build/version/version.txt that module
// downloads lack) is skipped, and there is no telemetry, debug listener or
// state.json.
//
// Built and started by deploy/local/launcher.py:
//
//	go build -o <cache>/bin/owlery-ferretdb-v1.24.2 .
//	owlery-ferretdb-v1.24.2 -listen-addr 127.0.0.1:27017 -sqlite-dir <dir> -log-level info
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteDir := flag.String("sqlite-dir", "data", "directory of the SQLite databases (created if missing)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	sqliteParams := flag.String("sqlite-params", "", "query of the SQLite URI, e.g. _pragma=synchronous(normal)")
	flag.Parse()

	if err := run(*listenAddr, *sqliteDir, *logLevel, *sqliteParams); err != nil {
		fmt.Fprintf(os.Stderr, "owlery-ferretdb: %v\n", err)
		os.Exit(1)
	}
}

func run(listenAddr, sqliteDir, logLevel, sqliteParams string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(logLevel))); err != nil {
		return fmt.Errorf("invalid -log-level %q: %w", logLevel, err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(sqliteDir)
	if err != nil {
		return fmt.Errorf("invalid -sqlite-dir %q: %w", sqliteDir, err)
	}

	if err = os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create -sqlite-dir: %w", err)
	}

	// FerretDB wants a "file:" URI of an existing directory, with a trailing slash.
	sqliteURL := "file:" + filepath.ToSlash(dir) + "/"
	if sqliteParams != "" {
		sqliteURL += "?" + sqliteParams
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	// In v1.24.2 New already binds the listener, so MongoDBURI does not block here.
	logger.Info("owlery-ferretdb ready", "uri", f.MongoDBURI(), "sqlite_url", sqliteURL, "pid", os.Getpid())

	if err = f.Run(ctx); err != nil {
		return err
	}

	logger.Info("owlery-ferretdb stopped")

	return nil
}
