// Command ferretdb runs FerretDB 1.24 on its SQLite backend for the local stack.
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
	dir := flag.String("sqlite-dir", "data", "directory that holds one SQLite file per database")
	flag.Parse()

	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == ferretModule {
				version.Get().Version = dep.Version
			}
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		slog.Error("cannot create the data directory", "error", err)
		os.Exit(1)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		slog.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.Info("FerretDB listening", "version", version.Get().Version, "addr", *listen, "sqlite_dir", *dir)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		slog.Error("FerretDB stopped", "error", err)
		os.Exit(1)
	}
}
