//go:build tools

// The programs scripts/kube builds from this module (KEDA's operator and its metrics API
// server), imported so that `go mod tidy` keeps them and their dependencies in go.mod / go.sum.
package tools

import (
	_ "github.com/kedacore/keda/v2/cmd/adapter"
	_ "github.com/kedacore/keda/v2/cmd/operator"
)
