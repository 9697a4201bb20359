//go:build tools

// Package tools keeps the provider packages in the module graph for `go mod tidy`. The main
// package is copied from the module at build time (its go:embed inputs are generated there).
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)
