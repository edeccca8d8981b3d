#!/usr/bin/env python3
"""Checks deploy/ against the code: every manifest parses, and the environment variables, ports, probe
paths, config keys and commands it names are ones the relay really reads, listens on and answers."""
import configparser
import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


settings_source = (root / "Sources/RelayAssembly/Configuration/Setting.swift").read_text()
settings = re.findall(r'Setting\("([^"]+)", "(RELAY_[A-Z_]+)"', settings_source)
known_env = {env for _, env in settings}
known_keys = {key for key, _ in settings}
routes_source = "\n".join(p.read_text() for p in (root / "Sources/RelayHTTP").rglob("*.swift"))
known_paths = set(re.findall(r'router\.get\("(/[^"]+)"', routes_source))
commands_source = "\n".join(p.read_text() for p in (root / "Sources/webhook-relay/Commands").glob("*.swift"))
known_commands = set(re.findall(r'commandName: "([a-z-]+)"', commands_source)) | {"serve", "migrate"}


def flatten(mapping, prefix=""):
    for key, value in mapping.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


# Declared endpoints (SPEC §15) are a list the relay reads itself, not a setting.
declared_fields = set(re.findall(r'"([a-z_]+)"', re.search(r'static let fields: Set<String> = \[(.*?)\]',
    (root / "Sources/RelayAssembly/Configuration/DeclaredEndpoints.swift").read_text(), re.S).group(1)))


def check_config_yaml(where, text):
    data = yaml.safe_load(text) or {}
    for index, entry in enumerate(data.pop("endpoints", None) or []):
        for field in entry if isinstance(entry, dict) else []:
            if field not in declared_fields:
                problem(where, f"endpoints[{index}]: {field} is not a field of a declared endpoint")
    for key in flatten(data):
        if key not in known_keys:
            problem(where, f"config key {key} is not a relay setting (see Config/relay.yaml)")


def listen_port(env):
    for item in env:
        if item.get("name") == "RELAY_LISTEN":
            return int(str(item["value"]).rsplit(":", 1)[1])
    return None


def check_kubernetes(folder):
    documents = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            for document in yaml.safe_load_all(path.read_text()):
                if document:
                    documents.append((path.relative_to(root), document))
        except yaml.YAMLError as error:
            problem(path.relative_to(root), f"does not parse: {error}")
    by_kind = {}
    for where, document in documents:
        for field in ("apiVersion", "kind", "metadata"):
            if field not in document and not (field == "metadata" and document.get("kind") == "Kustomization"):
                problem(where, f"has no {field}")
        by_kind.setdefault(document.get("kind"), []).append((where, document))
    kustomization = next((d for w, d in by_kind.get("Kustomization", [])), None)
    if kustomization:
        for resource in kustomization.get("resources", []):
            if not (folder / resource).exists():
                problem(folder.relative_to(root), f"kustomization names {resource}, which does not exist")
    secrets = {d["metadata"]["name"]: set((d.get("stringData") or d.get("data") or {}).keys()) for _, d in by_kind.get("Secret", [])}
    configmaps = {d["metadata"]["name"]: d.get("data") or {} for _, d in by_kind.get("ConfigMap", [])}
    claims = {d["metadata"]["name"] for _, d in by_kind.get("PersistentVolumeClaim", [])}
    for where, configmap in by_kind.get("ConfigMap", []):
        for name, text in (configmap.get("data") or {}).items():
            if name.endswith(".yaml"):
                check_config_yaml(f"{where} ({name})", text)
    for name, keys in secrets.items():
        for key in keys:
            if key not in known_env:
                problem(folder.relative_to(root), f"Secret {name} holds {key}, which the relay does not read")
    deployments = by_kind.get("Deployment", [])
    if not deployments:
        problem(folder.relative_to(root), "has no Deployment")
    container_ports = {}
    for where, deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod.get("initContainers", []) + pod["containers"]:
            args = container.get("args", [])
            if not args or args[0] not in known_commands:
                problem(where, f"container {container['name']} runs {args[:1]}, not a webhook-relay command")
            if "--config" in args:
                config_path = args[args.index("--config") + 1]
                mounts = [m for m in container.get("volumeMounts", []) if config_path.startswith(m["mountPath"] + "/")]
                if not mounts:
                    problem(where, f"{config_path} is not on a mounted volume")
                else:
                    volume = volumes.get(mounts[0]["name"], {})
                    configmap = volume.get("configMap", {}).get("name")
                    if configmap not in configmaps or pathlib.Path(config_path).name not in configmaps[configmap]:
                        problem(where, f"{config_path} is not a key of a ConfigMap in this folder")
            env = container.get("env", [])
            names = {item["name"] for item in env}
            for source in container.get("envFrom", []):
                secret = source.get("secretRef", {}).get("name")
                if secret is not None:
                    if secret not in secrets:
                        problem(where, f"envFrom names Secret {secret}, which is not in this folder")
                    names |= secrets.get(secret, set())
            for name in names:
                if name not in known_env:
                    problem(where, f"container {container['name']} sets {name}, which the relay does not read")
            if container in pod.get("initContainers", []):
                continue
            if "RELAY_DATABASE" not in names:
                problem(where, "the relay container gets no RELAY_DATABASE")
            port = listen_port(env)
            ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
            container_ports.update(ports)
            if port is None or port not in ports.values():
                problem(where, f"RELAY_LISTEN's port {port} is not a containerPort ({ports})")
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = container.get(probe, {}).get("httpGet", {})
                if get.get("path") != path:
                    problem(where, f"{probe} must GET {path}, not {get.get('path')}")
                if get.get("path") not in known_paths:
                    problem(where, f"{probe} path {get.get('path')} is not a route of the relay")
                probe_port = get.get("port")
                if probe_port not in ports and probe_port not in ports.values():
                    problem(where, f"{probe} port {probe_port} is not a container port")
            database = next((i.get("value") for i in env if i["name"] == "RELAY_DATABASE"), None)
            if database and database.startswith("sqlite:"):
                directory = str(pathlib.PurePosixPath(database[len("sqlite:"):]).parent)
                mount = next((m for m in container.get("volumeMounts", []) if m["mountPath"] == directory), None)
                if mount is None:
                    problem(where, f"the SQLite directory {directory} is not a mounted volume")
                elif volumes.get(mount["name"], {}).get("persistentVolumeClaim", {}).get("claimName") not in claims:
                    problem(where, f"the SQLite volume is not a PersistentVolumeClaim in this folder")
                if deployment["spec"].get("replicas", 1) != 1:
                    problem(where, "SQLite has one writer: replicas must be 1")
    for where, service in by_kind.get("Service", []):
        for port in service["spec"]["ports"]:
            target = port.get("targetPort")
            if target not in container_ports and target not in container_ports.values():
                problem(where, f"targetPort {target} is not a container port of the Deployment")


def check_systemd(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    try:
        parser.read_string(path.read_text())
    except configparser.Error as error:
        problem(path.relative_to(root), f"does not parse: {error}")
        return
    for section in ("Unit", "Service", "Install"):
        if section not in parser:
            problem(path.relative_to(root), f"has no [{section}]")
    service = parser["Service"]
    start = service.get("ExecStart", "").split()
    if len(start) < 2 or not start[0].endswith("/webhook-relay") or start[1] not in known_commands:
        problem(path.relative_to(root), f"ExecStart {start} does not run a webhook-relay command")
    for line in path.read_text().splitlines():
        if line.startswith("Environment="):
            name = line[len("Environment="):].split("=", 1)[0]
            if name not in known_env:
                problem(path.relative_to(root), f"sets {name}, which the relay does not read")
    env_file = path.parent / "webhook-relay.env"
    for line in env_file.read_text().splitlines():
        if line.strip() and not line.startswith("#") and line.split("=", 1)[0] not in known_env:
            problem(env_file.relative_to(root), f"sets {line.split('=', 1)[0]}, which the relay does not read")


def check_containerfile(path):
    text = path.read_text()
    if len(re.findall(r"^FROM ", text, re.M)) < 2:
        problem(path.relative_to(root), "is not multi-stage")
    for name in re.findall(r"\b(RELAY_[A-Z_]+)=", text):
        if name not in known_env:
            problem(path.relative_to(root), f"sets {name}, which the relay does not read")
    listen = re.search(r"RELAY_LISTEN=[^ ]*:(\d+)", text)
    expose = re.search(r"^EXPOSE (\d+)", text, re.M)
    if not listen or not expose or listen.group(1) != expose.group(1):
        problem(path.relative_to(root), "EXPOSE does not match RELAY_LISTEN's port")
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        if not (root / source).exists():
            problem(path.relative_to(root), f"copies {source}, which does not exist")


check_config_yaml("Config/relay.yaml", (root / "Config/relay.yaml").read_text())
for folder in sorted((root / "deploy/kubernetes").iterdir()):
    if folder.is_dir():
        check_kubernetes(folder)
check_systemd(root / "deploy/systemd/webhook-relay.service")
check_containerfile(root / "deploy/Containerfile")

if problems:
    print("deploy/ does not match the code:")
    for line in problems:
        print("  " + line)
    sys.exit(1)
print(f"deploy/ checked against the code: {len(known_env)} settings, probes {sorted(known_paths & {'/healthz', '/readyz'})}")
