"""``python -m presswise_emulator``: serve the emulated PressWise order API until stopped."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from presswise_emulator import SOAP_PATH
from presswise_emulator.operations import Credentials, PressWise
from presswise_emulator.server import EmulatorServer
from presswise_emulator.store import Store


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m presswise_emulator",
        description="Emulated PressWise order API (SOAP at POST %s, JSON control API under /_control/)." % SOAP_PATH,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    # nargs="?": a Procfile line whose $EMULATOR_PORT or $EMULATOR_CONTROL_TOKEN is unset still starts.
    parser.add_argument("--port", type=int, nargs="?", default=8089, const=8089,
                        help="port to listen on (0: any free port)")
    parser.add_argument("--db", default="instance/presswise-emulator.db", help="SQLite file for orders, users, calls")
    parser.add_argument("--user", default="demo", help="PressWise username accepted")
    parser.add_argument("--password", default="demo-secret", help="PressWise password accepted")
    parser.add_argument("--code", default="DEMO-AUTH", help="PressWise authorization code accepted")
    parser.add_argument(
        "--control-token",
        nargs="?",
        default=os.environ.get("EMULATOR_CONTROL_TOKEN", ""),
        const="",
        help="token for /_control/ (header X-Control-Token); empty disables the control API "
        "(default: $EMULATOR_CONTROL_TOKEN, empty if unset)%(default).0s",
    )
    parser.add_argument("--encoding", choices=("plain", "php"), default="plain",
                        help="answer form: plain elements, or the PHP SoapServer Map form")
    parser.add_argument("--quiet", action="store_true", default=False, help="log nothing per request")
    return parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else list(argv), parser))


def _join_dash_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``--control-token -x7…`` as ``--control-token=-x7…``: random tokens and passwords may start with a dash."""
    flags = {option for action in parser._actions for option in action.option_strings}
    takes_value = {"--password", "--code", "--control-token", "--user"}
    joined, index = [], 0
    while index < len(argv):
        arg = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if arg in takes_value and following is not None and following.split("=", 1)[0] not in flags:
            joined.append(f"{arg}={following}")
            index += 2
        else:
            joined.append(arg)
            index += 1
    return joined


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s presswise-emulator %(message)s", stream=sys.stderr)
    store = Store(args.db)
    presswise = PressWise(store, Credentials(args.user, args.password, args.code))
    server = EmulatorServer((args.host, args.port), store=store, presswise=presswise,
                            control_token=args.control_token, encoding=args.encoding, quiet=args.quiet)
    host, port = server.server_address[:2]
    if not args.control_token:
        logging.warning("no --control-token: the /_control/ API is disabled")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # The one line on stdout: whoever started us (tests with --port 0) reads the port from it.
    print(f"PressWise emulator listening on http://{host}:{port}{SOAP_PATH}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
