# syntax=docker/dockerfile:1
# One image for every midstream binary: the service mains and the midstream CLI, built static
# (CGO_ENABLED=0) from the Go workspace, on a distroless nonroot base. The default entrypoint is
# the CLI; a Deployment runs a service by setting command: ["/usr/local/bin/<service>"], or
# builds a per-service image with --target <service>. See docs/kubernetes.md.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY . .
# The module and build caches survive between builds (BuildKit).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    set -eu; \
    mkdir -p /out; \
    for main in services/ingest/cmd/ingest services/scheduler/cmd/scheduler \
        services/compare/cmd/compare services/attractor/cmd/attractor \
        services/verifier/cmd/verifier services/metalearn/cmd/metalearn cmd/midstream; do \
        go build -trimpath -ldflags='-s -w' -o /out/ "./$main"; \
    done

FROM gcr.io/distroless/static-debian12:nonroot AS midstream
COPY --from=build /out/ /usr/local/bin/
# nonroot is uid/gid 65532; the manifests' securityContext says the same.
USER 65532:65532
# 9464: /metrics /healthz /readyz of every service; 4433/udp: ingest's QUIC listener.
EXPOSE 9464 4433/udp
ENTRYPOINT ["/usr/local/bin/midstream"]

FROM midstream AS ingest
ENTRYPOINT ["/usr/local/bin/ingest"]

FROM midstream AS scheduler
ENTRYPOINT ["/usr/local/bin/scheduler"]

FROM midstream AS compare
ENTRYPOINT ["/usr/local/bin/compare"]

FROM midstream AS attractor
ENTRYPOINT ["/usr/local/bin/attractor"]

FROM midstream AS verifier
ENTRYPOINT ["/usr/local/bin/verifier"]

FROM midstream AS metalearn
ENTRYPOINT ["/usr/local/bin/metalearn"]

# The last stage is the default target: the image with every binary.
FROM midstream
