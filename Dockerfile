# Multi-stage build: the services are compiled in the official Swift image and run on a slim
# Ubuntu that holds only their binaries. --static-swift-stdlib links the Swift runtime and
# Foundation into each binary, so at run time they need only glibc, libstdc++ and libgcc, which
# ubuntu:noble already has (`ldd` lists nothing else). curl is there for the healthchecks.
FROM swift:6.3-noble AS build
WORKDIR /src
# Package.swift also names the test targets, whose folders must exist for the package to load.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# `swift build` takes one --product, so one build per service; they share every module, so the
# later ones mostly link. The binaries are copied by exact name: the bin folder also holds
# `<name>.product` folders and modules.
RUN set -eu; \
    products="order-gateway order-processor order-notifier order-dashboard order-pipeline"; \
    for product in $products; do \
        swift build -c release --static-swift-stdlib --product "$product"; \
    done; \
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"; \
    mkdir -p /out; \
    for product in $products; do \
        install -m 0755 "$bin/$product" /out/; \
    done

FROM ubuntu:noble
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin pipeline
COPY --from=build /out/ /usr/local/bin/
USER pipeline
ENV HOST=0.0.0.0
CMD ["order-pipeline"]
