// Package k8s holds what midstream's Kubernetes manifests are checked and generated with: the
// NACK (JetStream controller) resources rendered from pkg/bus, so that declarative and
// code-provisioned streams cannot drift, and the tests that render every kustomize overlay and
// check it against the Kubernetes API types and the service binaries. See docs/kubernetes.md.
package k8s

//go:generate go run ./cmd/gennack -out nack
