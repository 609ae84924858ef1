// Command ferretdb runs FerretDB 1.24 for the local stack, on PostgreSQL (the
// default) or on SQLite (kept for the benchmark's comparison of the two).
//
// It is built from this small wrapper module around the embeddable package
// github.com/FerretDB/FerretDB/ferretdb, because a plain
// `go install .../cmd/ferretdb@v1.24.2` lacks the generated version file and
// panics on start. The FerretDB version reported to clients (buildInfo's
// ferretdbVersion) is read from this binary's own module information.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

const ferretModule = "github.com/FerretDB/FerretDB"

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on (keep it on loopback)")
	handler := flag.String("handler", "postgresql", "storage backend: postgresql or sqlite")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL, e.g. postgres:///ferretdb?host=/run/pg (handler postgresql)")
	dir := flag.String("sqlite-dir", "data", "directory that holds one SQLite file per database (handler sqlite)")
	flag.Parse()

	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == ferretModule {
				version.Get().Version = dep.Version
			}
		}
	}
	config := ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: *listen}, Handler: *handler}
	switch *handler {
	case "postgresql":
		if *pgURL == "" {
			slog.Error("--postgresql-url is required with --handler=postgresql")
			os.Exit(2)
		}
		config.PostgreSQLURL = *pgURL
	case "sqlite":
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			slog.Error("cannot create the data directory", "error", err)
			os.Exit(1)
		}
		config.SQLiteURL = "file:" + *dir + "/"
	default:
		slog.Error("unknown handler", "handler", *handler)
		os.Exit(2)
	}
	f, err := ferretdb.New(&config)
	if err != nil {
		slog.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.Info("FerretDB listening", "version", version.Get().Version, "addr", *listen, "handler", *handler)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		slog.Error("FerretDB stopped", "error", err)
		os.Exit(1)
	}
}
