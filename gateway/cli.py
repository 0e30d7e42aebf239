"""The `knutpunkt` command line (a contract: see DESIGN.md, "Command line and configuration")."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import uvloop

from connectors.errors import SettingsError

from .serve import demo_settings, ensure_sqlite_dirs, serve_async, settle
from .settings import load_settings

SANDBOX_HELP = """\
Runs the ten simulated systems of the sandbox municipality "Exempelby kommun" on
loopback, one port each from --base-port upwards, and prints "<id> <url>" per system.

The data is synthetic and deterministic: the same --seed and --reference-date give the
same municipality every time (persons, cases, events). The personas of DESIGN.md
(Kalle Testson, Anna Andersson, Bengt Berg, ...) are present at every seed and scale.
--scale grows the mass data (1 = about 20,000 persons and 60,000 cases over three
years; 10 = ten times that, for benchmarks). Every system has fault injection at
PUT/DELETE /_admin/faults.

On the next three ports run where notifications arrive: a mail sink (an SMTP server,
"mail-smtp smtp://...", and its HTTP side "mail http://...") and an SMS gateway
("sms http://..."); GET <url>/messages lists what arrived, DELETE clears it.
"""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("KNUTPUNKT_LOG_LEVEL", "WARNING").upper())
    try:
        result: int = args.func(args)
    except SettingsError as exc:
        print(f"knutpunkt: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="knutpunkt", description="Knutpunkt, the case hub.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="run the gateway (without --config: with the sandbox, demo mode)"
    )
    serve.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="listen port (default 8000)")
    serve.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    serve.set_defaults(func=_serve)

    sandbox = sub.add_parser(
        "sandbox",
        help="run the ten simulated source systems",
        description=SANDBOX_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _sandbox_arguments(sandbox)
    sandbox.set_defaults(func=_sandbox)

    token = sub.add_parser("token", help="print a demo token", add_help=False)
    token.add_argument("rest", nargs=argparse.REMAINDER)
    token.set_defaults(func=_token)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL (equal to schema.graphql)")
    export.set_defaults(func=_export_schema)

    documents = sub.add_parser(
        "export-documents", help="build a trusted-documents manifest from .graphql files"
    )
    documents.add_argument("directory", type=Path, metavar="DIR", help="folder of .graphql files")
    documents.add_argument("--out", type=Path, default=None, help="write here (default stdout)")
    documents.set_defaults(func=_export_documents)

    check = sub.add_parser(
        "check-config",
        help="validate the configuration and reach every system, the IdP and the databases",
    )
    check.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    check.set_defaults(func=_check_config)

    audit = sub.add_parser("audit", help="the access log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="exit 0 when the log's hash chain is intact, else 1"
    )
    verify.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    verify.set_defaults(func=_audit_verify)

    notify = sub.add_parser("notify", help="notifications to citizens")
    notify_sub = notify.add_subparsers(dest="notify_command", required=True)
    outbox = notify_sub.add_parser(
        "outbox", help="list the outbox (newest first; addresses masked)"
    )
    outbox.add_argument("--parked", action="store_true", help="only messages given up on")
    outbox.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    outbox.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    outbox.set_defaults(func=_notify_outbox)
    return parser


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    parser.add_argument(
        "--reference-date",
        type=date.fromisoformat,
        default=None,
        help="the sandbox's 'today', YYYY-MM-DD (default: today); the data ends there",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="data size factor (default 1)")
    parser.add_argument(
        "--base-port", type=int, default=9100, help="first port (default 9100; 0 = any free)"
    )
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument(
        "--signals-to", default=None, metavar="URL", help="push signed case signals to this hub"
    )
    parser.add_argument(
        "--signal-secret", default="", metavar="whsec_...", help="the systems' signing secret"
    )


def _sandbox(args: argparse.Namespace) -> int:
    from simulators.sandbox import Sandbox

    if not 0 < args.scale <= 100:
        print("knutpunkt: --scale ska vara större än 0 och högst 100", file=sys.stderr)
        return 2

    if args.signals_to and not args.signal_secret.startswith("whsec_"):
        print("knutpunkt: --signals-to kräver --signal-secret whsec_...", file=sys.stderr)
        return 2

    async def run() -> None:
        box = Sandbox.build(
            seed=args.seed,
            reference_date=args.reference_date,
            scale=args.scale,
            signals_to=args.signals_to,
            signal_secret=args.signal_secret,
        )
        settle(box)
        await box.serve(args.host, args.base_port, out=sys.stdout)
        await asyncio.Event().wait()

    asyncio.run(run())
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    gw = settings.gateway
    settings = replace(
        settings,
        gateway=replace(gw, host=args.host or gw.host, port=args.port or gw.port),
    )
    if args.config is None:
        settings = demo_settings(settings, os.environ)
    # uvloop: the event loop's own machinery is a large share of each query's CPU time
    # (every upstream call is a few loop iterations); uvicorn picks httptools by itself
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve_async(settings, sys.stdout))
    return 0


def _token(args: argparse.Namespace) -> int:
    from .issuer import token_main

    settings = load_settings(None)
    return token_main(
        args.rest,
        sys.stdout,
        sys.stderr,
        key_file=settings.demo.key_file or None,
        max_ttl=settings.oidc.max_token_lifetime_seconds,
    )


def _export_schema(args: argparse.Namespace) -> int:
    from resolvers.schema import build_schema

    print(build_schema().as_str())
    return 0


def _export_documents(args: argparse.Namespace) -> int:
    from .trusted_documents import export_documents_main

    return export_documents_main(args.directory, args.out, sys.stdout, sys.stderr)


def _check_config(args: argparse.Namespace) -> int:
    from .check_config import check_config_main

    return check_config_main(args.config, sys.stdout)


def _audit_verify(args: argparse.Namespace) -> int:
    from .audit import audit_verify_settings

    audit = load_settings(args.config).audit
    return audit_verify_settings(audit, sys.stdout, demo=args.config is None)


def _notify_outbox(args: argparse.Namespace) -> int:
    from notify.cli import outbox_listing

    settings = load_settings(args.config)
    ensure_sqlite_dirs(settings)
    asyncio.run(
        outbox_listing(settings.notify.url, sys.stdout, parked=args.parked, limit=args.limit)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
