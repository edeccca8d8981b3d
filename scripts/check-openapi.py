"""Validates openapi.yaml against the OpenAPI 3.1 schema and checks that it documents every route the
relay registers (read from the Hummingbird route declarations under Sources/RelayHTTP and the callback
contracts' paths under Sources/RelayContracts), the admin console's HTML pages apart."""
import pathlib, re, sys

import yaml
from openapi_spec_validator import validate

document = yaml.safe_load(open(sys.argv[1]))
validate(document)
documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in document["paths"]}

routes = set()
for source in pathlib.Path("Sources/RelayHTTP").rglob("*.swift"):
    text = source.read_text()
    for match in re.finditer(r'\.(?:get|post|patch|delete|put)\("(/[^"]*)"', text):
        path = match.group(1)
        # Submit and admin routes are registered on the "/api/v1" groups; the others at the root.
        on_api_group = source.name.startswith(("Submit", "Endpoint", "Request", "DeadLetter", "Audit"))
        full = ("/api/v1" + path) if on_api_group and not path.startswith("/api/") else path
        routes.add(re.sub(r":[A-Za-z]+", "{}", full))

# The callback contracts' shared-token paths (`var paths` of each CallbackContract in Sources/RelayContracts).
for source in pathlib.Path("Sources/RelayContracts").rglob("*.swift"):
    for match in re.finditer(r'var paths: [^{]+\{ \[(.*?)\] \}', source.read_text()):
        routes.update(re.findall(r'\("(/[^"]+)"', match.group(1)))

# The console's HTML pages (Sources/RelayHTTP/Console) are for people in a browser, not part of the API;
# openapi.yaml says so in its description.
routes = {route for route in routes if not route.startswith("/console")}
missing = sorted(route for route in routes if route not in documented and route not in ("/", "**"))
if missing:
    sys.exit("openapi.yaml does not document: " + ", ".join(missing))
print(f"openapi.yaml is valid and documents all {len(routes)} routes")
