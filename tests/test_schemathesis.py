"""Property-based tests of the whole API from its own /openapi.json (schemathesis): for every operation, data
that fits the schema and data that does not, as an applicant and as an administrator. No answer is a server
error, every status is one the document lists, every body (errors included) fits its documented schema, and
every error says what is wrong in Chinese.

Schemathesis draws the cases; they are sent in-process through the app's ASGI interface on the test's own
event loop (the database client lives there) and checked by schemathesis against the document.
"""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.factories import create_person, create_sysadmin, login

EXAMPLES = 3                      # per operation, mode and role: bounded so the module stays under a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Logging out would end the session the remaining cases use.
SKIPPED = {("POST", "/api/auth/logout")}


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def draw_cases(operation, mode: GenerationMode) -> list:
    cases: list = []

    @settings(max_examples=EXAMPLES, database=None, derandomize=True, phases=[Phase.generate, Phase.explicit],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case):
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:      # nothing to negate (an operation without parameters or body)
        pass
    return cases


def request_kwargs(case, headers: dict) -> dict:
    """The case as httpx arguments (schemathesis serialises it for a requests-style client)."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    sent = {key: kwargs[key] for key in ("method", "url", "headers", "params", "json", "files")
            if kwargs.get(key) is not None}
    if "files" in sent:       # negative cases may put a number where a file goes: send its text
        sent["files"] = [(name, _file_part(part)) for name, part in _items(sent["files"])]
    if kwargs.get("cookies"):
        sent["headers"] = {**sent.get("headers", {}),
                           "Cookie": "; ".join(f"{name}={value}" for name, value in kwargs["cookies"].items())}
    if kwargs.get("data") is not None:
        data = kwargs["data"]
        if isinstance(data, (bytes, str)):
            sent["content"] = data
        else:
            sent["data"] = data
    return sent


def _items(files):
    return list(files.items()) if isinstance(files, dict) else list(files)


def _file_part(part):
    if isinstance(part, tuple):
        name, content, *rest = part
        return (name, content if isinstance(content, (bytes, str)) else str(content).encode(), *rest)
    return part if isinstance(part, (bytes, str)) else str(part).encode()


@pytest.fixture(scope="module")
async def drawn(app) -> list:
    """Every operation's cases, positive and negative, drawn once for the module: the draw is derandomized, so
    both roles get the same cases, and drawing them (not sending them) is most of the module's time."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        r = await http.get("/openapi.json")
    assert r.status_code == 200
    schema = schemathesis.openapi.from_dict(r.json())
    return [(mode, case) for result in schema.get_all_operations()
            if ((operation := result.ok()).method.upper(), operation.path) not in SKIPPED
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) for case in draw_cases(operation, mode)]


@pytest.mark.parametrize("role", ["applicant", "administrator"])
async def test_the_api_keeps_its_document(app, client, drawn, role):
    user = await create_person() if role == "applicant" else await create_sysadmin()
    headers = await login(client, user)
    failures: list[str] = []
    sent = 0
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
        for mode, case in drawn:
            response = await http.request(**request_kwargs(case, headers))
            sent += 1
            response.request.read()          # a multipart body is a stream; the checks read it
            try:
                case.validate_response(response, checks=CHECKS)
                if response.status_code >= 400:
                    assert chinese(response.json()["message"]), "the error message is not Chinese"
            except Exception as exc:  # noqa: BLE001 - every failure is collected, then reported together
                failures.append(f"{case.method} {case.formatted_path} ({mode}): {response.status_code} "
                                f"{response.text[:300]}\n{str(exc)[:600]}")
    assert sent > 200
    assert not failures, f"{len(failures)} of {sent} answers broke the document:\n" + "\n\n".join(failures[:20])
