"""The ``xraysink`` console script.

``xraysink listen`` runs a local stand-in for the X-Ray daemon (``xraysink.cli.listen``)
and prints each trace it receives as a tree, plus every datagram X-Ray would reject with
the reasons; ``xraysink demo [ARGS...]`` runs ``xraysink.cli.demo`` with ``ARGS`` passed
through untouched.
"""

from __future__ import annotations

import argparse
import sys

from xraysink.cli.listen import listen
from xraysink.receiver.server import split_address

__all__ = ["listen", "main"]


def _address(text: str) -> str:
    try:
        split_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xraysink", description="AWS X-Ray for asyncio Python, on OpenTelemetry."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listen_parser = commands.add_parser(
        "listen",
        help="receive X-Ray daemon datagrams locally and print each trace as a tree",
        description="Listen like the X-Ray daemon (UDP), print each trace as a tree once it "
        "settles, and each datagram X-Ray would reject with its reasons. Stop with Ctrl-C.",
    )
    listen_parser.add_argument(
        "--address",
        type=_address,
        default="127.0.0.1:2000",
        help="UDP HOST:PORT to listen on; port 0 picks a free port (default: %(default)s)",
    )
    listen_parser.add_argument(
        "--jsonl", metavar="FILE", help="also append every received document to FILE"
    )
    listen_parser.add_argument(
        "--sampling-rules",
        metavar="FILE",
        help="also answer GetSamplingRules/SamplingTargets on TCP (same port) from FILE",
    )
    listen_parser.add_argument(
        "--settle",
        type=_seconds,
        default=0.5,
        help="print a trace once no document for it arrived for this many seconds "
        "(default: %(default)s)",
    )
    listen_parser.add_argument(
        "--ui", action="store_true", help="also serve the trace viewer page at --ui-address"
    )
    listen_parser.add_argument(
        "--ui-address", type=_address, default="127.0.0.1:2001", help="(default: %(default)s)"
    )
    listen_parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the viewer, data inline, to FILE (every 5 s and on stop)",
    )
    listen_parser.add_argument(
        "--ui-traces", type=int, default=1000, help="traces the viewer keeps (default: %(default)s)"
    )
    # Listed for --help only: main() hands "demo" and everything after it to the demo.
    commands.add_parser("demo", help="run the demo (arguments pass through)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``xraysink`` command line; ``argv`` defaults to ``sys.argv[1:]``.

    Returns the process exit status. Bad arguments exit with status 2 (argparse).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["demo"]:
        # Imported on use: the demo brings web frameworks that listen does not need.
        from xraysink.cli.demo import main as demo_main

        return demo_main(args[1:])
    options = _parser().parse_args(args)
    ui = options.ui_address if options.ui else None
    return listen(
        options.address,
        jsonl=options.jsonl,
        settle=options.settle,
        ui=ui,
        html=options.html,
        ui_traces=options.ui_traces,
        sampling_rules=options.sampling_rules,
    )
