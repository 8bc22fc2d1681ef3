package fakeapi

import "time"

// The world of the end-to-end cases (the demo, the real-runner workflows
// under testdata/workflows and the e2e workflow on GitHub's runner): one
// key, one server, and a credential for each case. The workflows name the
// IDs literally.
const (
	WorldServer = "5e0b1a7d-2c39-4d4e-8f5a-6b7c8d9e0f1a"
	// WorldGHCR logs in to ghcr.io in 0.3 s.
	WorldGHCR = "0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f"
	// WorldHub logs in to docker.io in 0.2 s.
	WorldHub = "3d4e5f60-7182-4a9b-8c0d-1e2f3a4b5c6d"
	// WorldDenied is refused by the registry: docker login exits 1.
	WorldDenied = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b"
	// WorldSlow logs in to ghcr.io in two minutes: a job can be cancelled
	// while it runs.
	WorldSlow = "2c3d4e5f-6071-4829-8b3c-4d5e6f7a8b9c"
)

// NewWorld returns a fake API that knows key (allowed everything) and the
// world's server and credentials.
func NewWorld(key string) *Server {
	s := New()
	s.AddKey(key, AllScopes())
	s.AddServer(WorldServer, "prod-api")
	for _, c := range []Credential{
		{ID: WorldGHCR, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 300 * time.Millisecond},
		{ID: WorldHub, RegistryURL: "docker.io", RegistryType: "docker_hub", LoginDuration: 200 * time.Millisecond},
		{ID: WorldDenied, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 300 * time.Millisecond, Status: StatusFailed,
			Result: Result{ExitCode: 1, Stderr: "Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied\n"}},
		{ID: WorldSlow, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 2 * time.Minute},
	} {
		s.AddCredential(c)
	}
	return s
}
