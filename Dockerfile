# poolscaler container image: a build stage with the -dev packages, and a runtime stage with only
# the shared libraries the binary links, running as a non-root user.
#
#   docker build -t poolscaler .
#   docker run -p 9090:9090 -p 9091:9091 -v $PWD/deploy/examples/demo.yaml:/etc/poolscaler/config.yaml \
#     poolscaler --grpc-plaintext --config /etc/poolscaler/config.yaml
#
# Both package lists are files in scripts/packages/, shared with scripts/setup;
# tests/deploy/packages_test.sh checks that runtime.txt covers every library the binary needs.

FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/packages/build.txt /tmp/packages/build.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(sed 's/#.*//' /tmp/packages/build.txt) \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOOLSCALER_TESTS=OFF \
 && cmake --build /build -j "$(nproc)" --target poolscaler \
 && strip --strip-debug -o /poolscaler /build/src/cli/poolscaler \
 && /poolscaler version

FROM debian:12-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/packages/runtime.txt /tmp/packages/runtime.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(sed 's/#.*//' /tmp/packages/runtime.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/packages \
 && groupadd --system --gid 65532 poolscaler \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin poolscaler
COPY --from=build /poolscaler /usr/local/bin/poolscaler
USER 65532:65532
# gRPC (KEDA) and HTTP (/metrics, /healthz, /readyz, /pools).
EXPOSE 9090 9091
# No curl in the image: bash's /dev/tcp asks /healthz on the HTTP port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9091 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["poolscaler", "serve"]
