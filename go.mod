module github.com/reoclo/docker-auth

go 1.26.0

// The toolchain the Dockerfile builds the image with (its golang:1.26.8 base image).
toolchain go1.26.8

require (
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/sethvargo/go-githubactions v1.4.0
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.5
)

require github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
