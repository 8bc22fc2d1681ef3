// Command docker-auth is a GitHub Action that logs a Reoclo-managed server
// in to a container registry through the Reoclo API, and out again; its
// post and logout steps are the same binary by other names.
package main

import (
	"context"
	"os"

	"github.com/reoclo/docker-auth/internal/action"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, hard, stop := action.WithSignals(context.Background(), action.Grace)
	code := action.Run(ctx, hard, os.Args, action.DefaultDeps(version))
	stop()
	os.Exit(code)
}
