//go:build tools

// The programs scripts/kube builds from this module, imported so that `go mod tidy` keeps them
// and their dependencies in go.mod / go.sum.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
