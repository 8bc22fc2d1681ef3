// Command docker-auth is a GitHub Action that logs in to a container registry
// on a Reoclo-managed server through the Reoclo automation API, and logs out
// again in its post step. Invoked as docker-auth-post it is the post step.
package main

import (
	"context"
	"os"

	"github.com/reoclo/docker-auth/internal/action"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := action.WithSignals(context.Background(), action.Grace)
	code := action.Run(ctx, os.Args, action.DefaultDeps(version))
	stop()
	os.Exit(code)
}
