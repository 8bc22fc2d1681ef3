// Command docker-auth is a GitHub Action that logs in to a container registry
// on a Reoclo-managed server through the Reoclo automation API, and logs out
// again in its post step. Invoked as docker-auth-post it is the post step,
// as docker-auth-logout the logout step of logout/action.yml.
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
