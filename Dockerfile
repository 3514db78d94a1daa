# One image for every service: the five executables (order-gateway, order-processor,
# order-notifier, order-dashboard, and order-pipeline with all four in one process), compiled in
# the official Swift image and run on plain Ubuntu. --static-swift-stdlib links the Swift runtime
# and Foundation into each binary, so at run time they need only glibc, libstdc++ and libgcc,
# which ubuntu:noble already has (`ldd` lists nothing else). The runtime must be as new as the
# build image's glibc, hence noble on both sides.
#
#   docker build -t order-pipeline:local .
#   docker run --rm -e REDIS_URL=... -e RABBITMQ_URLS=... order-pipeline:local order-gateway
FROM swift:6.3-noble AS build
WORKDIR /src
# Package.swift also names the test targets, whose folders must exist for the package to load.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# `swift build` takes one --product, so one build per executable; they share every module, so the
# later ones mostly link. The binaries are copied by exact name (the bin folder also holds
# `<name>.product` folders and modules) and stripped: the runtime image has no symbolicator, and
# the symbols add about 20 MB to each of the five (the unstripped ones stay in this stage).
RUN set -eu; \
    products="order-gateway order-processor order-notifier order-dashboard order-pipeline"; \
    for product in $products; do \
        swift build -c release --static-swift-stdlib --product "$product"; \
    done; \
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"; \
    mkdir -p /out; \
    for product in $products; do \
        install -m 0755 "$bin/$product" /out/; \
        strip /out/"$product"; \
    done

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
