"""Validates rendered Kubernetes manifests offline; run by validate.sh.

    validate.py check NAME RENDERED.yaml K8S_VERSION...
        Validates every object of one rendered overlay: built-in kinds strictly against the
        Kubernetes schemas that kubernetes-validate bundles (for each version given), custom
        resources against the CRD schemas vendored under schemas/ (strictly too: unknown fields
        are errors, as with `kubectl apply --validate=strict`), and reports objects for which no
        schema is known. Then checks what the README promises of the pipeline's own workloads.
    validate.py selftest RENDERED.yaml K8S_VERSION...
        Breaks a valid rendering in known ways and fails unless every break is caught.
    validate.py extract-schema CRD.yaml
        Writes schemas/<group>/<kind>_<version>.json for each version of a published CRD.
"""
import copy
import json
import re
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate.utils as kubernetes
import yaml

SCHEMAS = Path(__file__).resolve().parent / "schemas"
PIPELINE = ("app.kubernetes.io/name", "order-pipeline")
# PipelineApp stops its HTTP servers with a 10 s grace period before settling deliveries.
HTTP_DRAIN_SECONDS = 10
# A URL whose password is written out rather than taken from a Secret through $(VAR).
LITERAL_PASSWORD = re.compile(r"://[^/@\s,]*:(?!\$\()[^/@\s,]+@")


def strict(schema):
    """The CRD schema with unknown fields rejected wherever the CRD does not keep them."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def crd_schema_path(obj):
    group, _, version = obj["apiVersion"].rpartition("/")
    return SCHEMAS / group / f"{obj['kind'].lower()}_{version}.json" if group else None


def validate_object(obj, versions):
    """('kubernetes'|'crd'|'none', [errors])."""
    try:
        errors = []
        for version in versions:
            try:
                kubernetes.validate(obj, version, strict=True)
            except kubernetes.ValidationError as error:
                path = ".".join(str(part) for part in error.path)
                errors.append(f"Kubernetes {version}: {path}: {error.message}")
        return "kubernetes", errors
    except kubernetes.SchemaNotFoundError:
        pass
    path = crd_schema_path(obj)
    if path is None or not path.exists():
        return "none", []
    validator = jsonschema.Draft4Validator(strict(json.loads(path.read_text())))
    errors = [f"{path.relative_to(SCHEMAS)}: {'.'.join(str(p) for p in e.path)}: {e.message}"
              for e in validator.iter_errors(obj)]
    return "crd", errors


def labelled(obj, key_value):
    key, value = key_value
    return obj.get("metadata", {}).get("labels", {}).get(key) == value


def selects(selector, labels):
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def check_pod(name, pod, pipeline, env_sources, problems):
    """What every pod template of ours promises; `pipeline` adds the services' own guarantees."""
    def need(condition, what):
        if not condition:
            problems.append(f"{name}: {what}")

    security = pod.get("securityContext", {})
    need(security.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot is not true")
    need(security.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccompProfile is not RuntimeDefault")
    need(pod.get("automountServiceAccountToken") is False, "automountServiceAccountToken is not false")
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        where = f"container {container['name']}"
        context = container.get("securityContext", {})
        need(context.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false")
        need(context.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true")
        need(context.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities.drop is not [ALL]")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            need({"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: no cpu and memory {kind}")
        need("readinessProbe" in container and "livenessProbe" in container, f"{where}: no readiness and liveness probes")
        defined = set(env_sources(container))
        for variable in container.get("env", []):
            for reference in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", variable.get("value", "")):
                need(reference in defined, f"{where}: {variable['name']} uses $({reference}) before it is defined")
            defined.add(variable["name"])
        if not pipeline:
            continue
        need(container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{where}: readiness is not GET /readyz")
        need(container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/livez", f"{where}: liveness is not GET /livez")
        need({"REDIS_URL", "RABBITMQ_URLS"} <= defined, f"{where}: REDIS_URL or RABBITMQ_URLS is not set")
        delay = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
        need(delay is not None, f"{where}: no preStop sleep")
        grace = pod.get("terminationGracePeriodSeconds", 30)
        need(delay is None or grace >= delay + HTTP_DRAIN_SECONDS + 5,
             f"terminationGracePeriodSeconds {grace} does not cover the preStop delay and the {HTTP_DRAIN_SECONDS} s drain")


def check_promises(objects, problems):
    """Security, probes, drain, budgets, autoscaling and network policy, as the README states them."""
    config_keys = {}
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            config_keys[obj["metadata"]["name"]] = set(obj.get("data", {}))
        if obj["kind"] == "Secret" and (obj.get("data") or obj.get("stringData")):
            problems.append(f"Secret {obj['metadata']['name']}: credentials written in a manifest")

    def env_sources(container):
        for source in container.get("envFrom", []):
            yield from config_keys.get(source.get("configMapRef", {}).get("name"), ())

    workloads = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    pipeline = [o for o in workloads if labelled(o, PIPELINE)]
    if not pipeline:
        problems.append("no Deployment labelled app.kubernetes.io/name=order-pipeline")
    for workload in workloads:
        check_pod(f"{workload['kind']} {workload['metadata']['name']}", workload["spec"]["template"]["spec"],
                  workload in pipeline, env_sources, problems)

    budgets = [o["spec"]["selector"] for o in objects if o["kind"] == "PodDisruptionBudget"]
    scaled = {o["spec"]["scaleTargetRef"]["name"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    for deployment in pipeline:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        name = deployment["metadata"]["name"]
        if not any(selects(selector, labels) for selector in budgets):
            problems.append(f"Deployment {name}: no PodDisruptionBudget")
        if labels.get("app.kubernetes.io/component") != "dashboard" and name not in scaled:
            problems.append(f"Deployment {name}: no HorizontalPodAutoscaler")

    # Only the gateway and the dashboard take ingress: every pipeline pod is under a policy that
    # restricts ingress, and policies that admit traffic select no other pipeline pod.
    policies = [o["spec"] for o in objects if o["kind"] == "NetworkPolicy"]
    for deployment in pipeline:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if selects(p["podSelector"], labels) and "Ingress" in p.get("policyTypes", [])]
        name = deployment["metadata"]["name"]
        if not mine:
            problems.append(f"Deployment {name}: no NetworkPolicy restricts its ingress")
        if labels.get("app.kubernetes.io/component") not in ("gateway", "dashboard") and any(p.get("ingress") for p in mine):
            problems.append(f"Deployment {name}: a NetworkPolicy admits ingress")

    text = yaml.safe_dump_all(objects)
    for match in LITERAL_PASSWORD.finditer(text):
        problems.append(f"a URL with a written-out password: {match.group(0)}")
    if re.search(r"\bguest\b", text):
        problems.append("the guest user appears in a manifest")


def findings(objects, versions):
    """Per-object schema outcome counts, schema errors, unchecked objects and broken promises."""
    counts = {"kubernetes": 0, "crd": 0, "none": 0}
    errors, unchecked, custom = [], [], set()
    for obj in objects:
        kind, found = validate_object(obj, versions)
        counts[kind] += 1
        label = f"{obj['kind']} {obj['metadata']['name']}"
        errors += [f"{label}: {error}" for error in found]
        if kind == "crd":
            custom.add(f"{obj['kind']} ({obj['apiVersion']})")
        if kind == "none":
            unchecked.append(f"{label} ({obj['apiVersion']})")
    problems = []
    check_promises(objects, problems)
    return counts, errors, unchecked, sorted(custom), problems


def check(name, rendered, versions):
    objects = [o for o in yaml.safe_load_all(Path(rendered).read_text()) if o]
    counts, errors, unchecked, custom, problems = findings(objects, versions)
    print(f"overlay {name}: {len(objects)} objects rendered")
    print(f"  {counts['kubernetes']} validated strictly against the Kubernetes {' and '.join(versions)} schemas")
    print(f"  {counts['crd']} validated strictly against vendored CRD schemas" + (f": {', '.join(custom)}" if custom else ""))
    print(f"  {counts['none']} not validated, no schema known" + (f": {', '.join(unchecked)}" if unchecked else ""))
    for error in errors:
        print(f"  INVALID {error}")
    for problem in problems:
        print(f"  BROKEN PROMISE {problem}")
    if not errors and not problems:
        print("  every object valid; security, probe, drain, budget, autoscaling and network checks passed")
    return 1 if errors or problems else 0


def first(objects, kind):
    return next(o for o in objects if o["kind"] == kind)


def custom_resource(objects):
    return next(o for o in objects if (path := crd_schema_path(o)) and path.exists())


def pod(objects):
    return first(objects, "Deployment")["spec"]["template"]["spec"]


def container(objects):
    return pod(objects)["containers"][0]


# Broken copies of a valid rendering, each with what the checks must say about it: a check that
# passed everything, or caught a break for another reason, would show here.
MUTATIONS = {
    "unknown Deployment field": (lambda o: first(o, "Deployment")["spec"].update(replicaCount=2), "'replicaCount' was unexpected"),
    "wrong type in a Service": (lambda o: first(o, "Service")["spec"]["ports"][0].update(port="http"), "'http' is not of type 'integer'"),
    "unknown custom resource field": (lambda o: custom_resource(o)["spec"].update(replica=3), "'replica' was unexpected"),
    "wrong type in a custom resource": (lambda o: custom_resource(o)["spec"].update(clusterSize="three", replicas="three"),
                                        "'three' is not of type 'integer'"),
    "unknown kind": (lambda o: o.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}), "Widget w"),
    "no preStop delay": (lambda o: container(o).pop("lifecycle"), "no preStop sleep"),
    "grace shorter than the drain": (lambda o: pod(o).update(terminationGracePeriodSeconds=10), "does not cover"),
    "writable root filesystem": (lambda o: container(o)["securityContext"].update(readOnlyRootFilesystem=False), "readOnlyRootFilesystem"),
    "root allowed": (lambda o: pod(o)["securityContext"].pop("runAsNonRoot"), "runAsNonRoot"),
    "no seccomp profile": (lambda o: pod(o)["securityContext"].pop("seccompProfile"), "seccompProfile"),
    "capabilities kept": (lambda o: container(o)["securityContext"].pop("capabilities"), "capabilities.drop"),
    "no liveness probe": (lambda o: container(o).pop("livenessProbe"), "no readiness and liveness probes"),
    "readiness on the wrong path": (lambda o: container(o)["readinessProbe"]["httpGet"].update(path="/livez"), "readiness is not GET /readyz"),
    "no limits": (lambda o: container(o)["resources"].pop("limits"), "no cpu and memory limits"),
    "password in a URL": (lambda o: container(o)["env"].append({"name": "X", "value": "amqp://app:s3cret@rabbit:5672/"}),
                          "written-out password"),
    # The last variable that refers to others ($(NAME)) moved first, before what it refers to.
    "variable used before it is set": (lambda o: container(o)["env"].insert(0, container(o)["env"].pop(
        max(i for i, e in enumerate(container(o)["env"]) if "$(" in e.get("value", "")))), "before it is defined"),
    "no REDIS_URL": (lambda o: container(o)["env"].remove(next(e for e in container(o)["env"] if e["name"] == "REDIS_URL")),
                     "REDIS_URL or RABBITMQ_URLS is not set"),
    "a Secret with data": (lambda o: o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "eA=="}}),
                           "credentials written in a manifest"),
    "the guest user": (lambda o: container(o)["env"].append({"name": "X", "value": "amqp://guest@rabbit:5672/"}), "guest user"),
    "processor takes ingress": (lambda o: next(x for x in o if x["kind"] == "NetworkPolicy" and x["metadata"]["name"] == "order-gateway")
                                ["spec"].update(podSelector={}), "order-processor: a NetworkPolicy admits ingress"),
    "no disruption budget": (lambda o: o.remove(first(o, "PodDisruptionBudget")), "no PodDisruptionBudget"),
    "no autoscaler": (lambda o: o.remove(first(o, "HorizontalPodAutoscaler")), "no HorizontalPodAutoscaler"),
}


def selftest(rendered, versions):
    """Runs every mutation on the rendered overlay (one with custom resources) and fails when the
    checks do not report it as expected."""
    original = [o for o in yaml.safe_load_all(Path(rendered).read_text()) if o]
    missed = []
    for name, (mutate, expected) in MUTATIONS.items():
        objects = copy.deepcopy(original)
        mutate(objects)
        _, errors, unchecked, _, problems = findings(objects, versions)
        if not any(expected in line for line in errors + unchecked + problems):
            missed.append(f"{name} (expected: {expected})")
    print(f"self-test: {len(MUTATIONS) - len(missed)} of {len(MUTATIONS)} broken renderings rejected for the expected reason")
    for name in missed:
        print(f"  NOT REJECTED: {name}")
    return 1 if missed else 0


def extract_schema(crd_file):
    crd = yaml.safe_load(Path(crd_file).read_text())
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"].lower()
    for version in crd["spec"]["versions"]:
        target = SCHEMAS / group / f"{kind}_{version['name']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(version["schema"]["openAPIV3Schema"], indent=1) + "\n")
        print(target.relative_to(SCHEMAS))
    return 0


def main(arguments):
    if len(arguments) >= 4 and arguments[0] == "check":
        return check(arguments[1], arguments[2], arguments[3:])
    if len(arguments) >= 3 and arguments[0] == "selftest":
        return selftest(arguments[1], arguments[2:])
    if len(arguments) == 2 and arguments[0] == "extract-schema":
        return extract_schema(arguments[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
