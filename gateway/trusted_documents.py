"""Trusted documents (persisted operations): portals send a hash, the gateway runs its copy.

The manifest is a JSON object `{"<sha256 hex of the document>": "<document>", ...}`,
the convention of Apollo's and Hive's persisted documents (Apollo's
`apollo-persisted-query-manifest` with `operations: [{id, body}]` is read too). A
request names a document by `extensions.persistedQuery.sha256Hash` (Apollo) or by
`documentId` (`<hex>` or `sha256:<hex>`, GraphQL over HTTP persisted documents).

With `[gateway] require_trusted = true`, callers in `trusted_roles` (by default
citizens and the public, i.e. the portals) may run only documents in the manifest,
by hash or in full; everything else is `PERSISTED_QUERY_NOT_FOUND`. Other roles
(analysts in GraphiQL) keep free queries and may use hashes too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.errors import SettingsError
from policies.caller import Role

from .auth_backend import caller_of
from .settings import GatewaySettings

HASH = re.compile(r"^[0-9a-f]{64}$")
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "Frågan finns inte bland de betrodda dokumenten."


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def build_manifest(documents: Iterable[str]) -> dict[str, str]:
    """hash → document, sorted by hash (a stable file for review and diffs)."""
    return dict(sorted((document_hash(d), d) for d in documents))


def load_manifest(path: Path) -> dict[str, str]:
    """Reads and checks a manifest: every key must be the sha256 of its document."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"Manifestet {path} finns inte.") from None
    except ValueError:
        raise SettingsError(f"Manifestet {path} är inte giltig JSON.") from None
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs = [
            (op.get("id"), op.get("body")) for op in data["operations"] if isinstance(op, dict)
        ]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise SettingsError(f"Manifestet {path} ska vara ett JSON-objekt hash → dokument.")
    manifest: dict[str, str] = {}
    for key, document in pairs:
        if not (isinstance(key, str) and isinstance(document, str)):
            raise SettingsError(f"Manifestet {path}: varje post ska vara hash → dokument (text).")
        key = key.removeprefix("sha256:").lower()
        if not HASH.match(key) or key != document_hash(document):
            raise SettingsError(f"Manifestet {path}: {key[:16]}… är inte sha256 av sitt dokument.")
        manifest[key] = document
    return manifest


class TrustedDocuments:
    """Resolves persisted-document references and enforces the trusted-only roles."""

    def __init__(
        self, manifest: Mapping[str, str], require_trusted: bool, trusted_roles: Collection[Role]
    ) -> None:
        self._manifest = dict(manifest)
        self._known = set(self._manifest.values())
        self._require = require_trusted
        self._roles = frozenset(trusted_roles)

    @classmethod
    def from_settings(cls, gw: GatewaySettings) -> TrustedDocuments | None:
        if not gw.trusted_documents:
            if gw.require_trusted:
                raise SettingsError("require_trusted kräver [gateway] trusted_documents = FIL.")
            return None
        roles: list[Role] = []
        for name in gw.trusted_roles:
            role = Role.__members__.get(name.upper())
            if role is None:
                raise SettingsError(f"[gateway] trusted_roles: okänd roll {name!r}.")
            roles.append(role)
        return cls(load_manifest(Path(gw.trusted_documents)), gw.require_trusted, roles)

    def __len__(self) -> int:
        return len(self._manifest)

    def resolve(self, data: dict[str, Any], role: Role) -> dict[str, Any] | None:
        """The request with the document filled in; None means PERSISTED_QUERY_NOT_FOUND."""
        reference = _reference(data)
        if reference is not None:
            document = self._manifest.get(reference)
            if document is None:
                return None
            resolved = {k: v for k, v in data.items() if k != "documentId"}
            resolved["query"] = document
            return resolved
        if self._require and role in self._roles:
            query = data.get("query")
            return data if isinstance(query, str) and query in self._known else None
        return data


def _reference(data: Mapping[str, Any]) -> str | None:
    """The hash a request names, lower-cased; '' for a malformed one (never found)."""
    document_id = data.get("documentId")
    if document_id is not None:
        return document_id.removeprefix("sha256:").lower() if isinstance(document_id, str) else ""
    extensions = data.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return digest.lower() if isinstance(digest, str) else ""


def _not_found() -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": NOT_FOUND_MESSAGE, "extensions": {"code": NOT_FOUND}}]}
    )


class TrustedDocumentsGate:
    """ASGI wrapper of the GraphQL endpoint: resolves hashes, refuses untrusted documents."""

    def __init__(self, app: ASGIApp, documents: TrustedDocuments | None) -> None:
        self._app = app
        self._documents = documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        documents = self._documents
        if documents is None or scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        role = caller_of(request).role
        if scope["method"] == "GET":
            await self._get(documents, role, scope, receive, send)
        elif scope["method"] == "POST" and "json" in request.headers.get("content-type", ""):
            await self._post(documents, role, request, scope, send)
        else:
            await self._app(scope, receive, send)

    async def _get(
        self, documents: TrustedDocuments, role: Role, scope: Scope, receive: Receive, send: Send
    ) -> None:
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "extensions" in params:
            try:
                extensions = json.loads(params["extensions"])
            except ValueError:
                extensions = None
            params["extensions"] = extensions
        if not params.get("query") and _reference(params) is None:
            await self._app(scope, receive, send)  # no operation: strawberry answers
            return
        resolved = documents.resolve(params, role)
        if resolved is None:
            await _not_found()(scope, receive, send)
            return
        if "extensions" in resolved:
            resolved["extensions"] = json.dumps(resolved["extensions"])
        query_string = urlencode(resolved).encode("latin-1")
        await self._app({**scope, "query_string": query_string}, receive, send)

    async def _post(
        self, documents: TrustedDocuments, role: Role, request: Request, scope: Scope, send: Send
    ) -> None:
        body = await request.body()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict | list):
            items = data if isinstance(data, list) else [data]
            resolved = [documents.resolve(i, role) if isinstance(i, dict) else i for i in items]
            if None in resolved:
                await _not_found()(scope, request.receive, send)
                return
            body = json.dumps(resolved if isinstance(data, list) else resolved[0]).encode()
        # anything else (bad JSON) goes on unchanged for strawberry to refuse
        await self._app(_with_length(scope, len(body)), _replay(body), send)


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def export_documents_main(directory: Path, out: Path | None, stdout: TextIO, stderr: TextIO) -> int:
    """`knutpunkt export-documents DIR [--out FILE]`: a manifest of DIR's `.graphql` files.

    Every file (searched recursively, in name order) is one document, hashed as it
    is written; each must be valid against the schema. Exit 2 names the bad file.
    """
    from graphql import GraphQLError, parse, validate

    from resolvers.schema import build_schema

    if not directory.is_dir():
        stderr.write(f"knutpunkt export-documents: {directory} är ingen katalog.\n")
        return 2
    files = sorted(directory.rglob("*.graphql"))
    if not files:
        stderr.write(f"knutpunkt export-documents: inga .graphql-filer i {directory}.\n")
        return 2
    schema = build_schema()._schema
    documents = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            errors = validate(schema, parse(text))
        except GraphQLError as exc:
            errors = [exc]
        if errors:
            stderr.write(f"knutpunkt export-documents: {file}: {errors[0].message}\n")
            return 2
        documents.append(text)
    manifest = json.dumps(build_manifest(documents), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        stdout.write(manifest)
    else:
        out.write_text(manifest, encoding="utf-8")
    return 0
