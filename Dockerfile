# One image for every service: one binary, order-pipeline, which runs the role it is named after
# (order-gateway, order-processor, order-notifier and order-dashboard are links to it) or, under
# its own name, the roles of ROLES (all four by default). Compiled in the official Swift image and
# run on plain Ubuntu. --static-swift-stdlib links the Swift runtime and Foundation into the
# binary, so at run time it needs only glibc, libstdc++ and libgcc, which ubuntu:noble already has
# (`ldd` lists nothing else). The runtime must be as new as the build image's glibc, hence noble
# on both sides.
#
#   docker build -t order-pipeline:local .
#   docker run --rm -e REDIS_URL=... -e RABBITMQ_URLS=... order-pipeline:local order-gateway
FROM swift:6.3-noble AS build
WORKDIR /src
# Package.swift also names the test targets, whose folders must exist for the package to load.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# One binary rather than five: each statically linked binary carries the Swift runtime and ICU's
# data (about 60 MB stripped), so links to one keep the image to a fifth. Stripped: the runtime
# image has no symbolicator (the unstripped binary stays in this stage).
RUN set -eu; \
    swift build -c release --static-swift-stdlib --product order-pipeline; \
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"; \
    mkdir -p /out; \
    install -m 0755 "$bin/order-pipeline" /out/; \
    strip /out/order-pipeline; \
    for role in gateway processor notifier dashboard; do ln -s order-pipeline "/out/order-$role"; done

FROM ubuntu:noble
# curl serves the health check only. The user is numeric so that Kubernetes can verify
# runAsNonRoot without resolving a name; it owns nothing, so a read-only root filesystem works.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 pipeline \
 && useradd --system --uid 10001 --gid pipeline --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pipeline
COPY --from=build /out/ /usr/local/bin/
USER 10001:10001
ENV HOST=0.0.0.0
EXPOSE 8080 8081 8082 8083
# Healthy when one of the process's ports answers /readyz with 200: whichever service the
# container runs (the command picks it), it serves on its own port, and ports of other services
# refuse at once. The ports follow the same variables as the services.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
    CMD for port in ${GATEWAY_PORT:-8080} ${DASHBOARD_PORT:-8081} ${PROCESSOR_PORT:-8082} ${NOTIFIER_PORT:-8083}; do \
            curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && exit 0; \
        done; exit 1
CMD ["order-pipeline"]
