"""add_purchase_order calls per second: the portal's PressWise client against bare HTTP posts.

Starts its own emulator (``python -m presswise_emulator --port 0 --quiet``) in a temp
folder, unless ``--url`` and ``--control-token`` name a running one. For each latency
and concurrency it runs, for ``--duration`` seconds each:

- client:  ``PressWiseClient.push_order`` (builds the XML, posts over its pooled
           session, parses the answer), one client shared by all threads;
- bare:    ``requests.post`` of the same prebuilt body, a new connection per call;
- session: ``requests.Session().post`` of that body per thread (keep-alive, no proxy
           look-ups, like the client's session): the transport floor the client could reach.

and prints calls/s with the ratios client/bare and client/session.

    .venv/bin/python bench/presswise_roundtrip.py [--duration 5] [--latency 0,50] [--concurrency 1,8,32]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from portal.domain.addresses import Address  # noqa: E402
from portal.domain.partner_urls import ConnectionAddressGuard  # noqa: E402
from portal.partners.base import AccountSettings, Timeouts  # noqa: E402
from portal.partners.presswise import PressWiseClient  # noqa: E402
from portal.partners.presswise.client import HEADERS  # noqa: E402
from portal.partners.presswise.mapping import purchase_order_data  # noqa: E402
from portal.partners.presswise.soap import build_envelope  # noqa: E402

READY_LINE = "PressWise emulator listening on "
USER, PASSWORD, CODE = "demo", "demo-secret", "DEMO-AUTH"


def sample_order(items: int = 3):
    address = Address(first_name="Ada", last_name="O'Brien & Sons", company="Analytical Engines Ltd",
                      line1="12 St James's Square", city="London", postal_code="SW1Y 4JH", country="GB",
                      phone="+44 20 7946 0000", email="ada@example.com")
    order_items = [
        SimpleNamespace(number=n, product_name="Business cards", part_number=f"BC-{n:03d}",
                        options_text="Paper: 16pt matte; Sides: 2", quantity=500, price=Decimal("49.50"),
                        shipping_address=address, shipping_method="UPS Ground", shipping_cost=Decimal("8.00"),
                        requested_delivery_date=date(2026, 11, 20), file_url=f"https://files.example.com/{n}.pdf",
                        notes="")
        for n in range(1, items + 1)
    ]
    return SimpleNamespace(number="BENCH-1", po_number="PO-1", notes="Bench order", billing_address=address,
                           payment_status="paid", payment_method="credit_card", subtotal=Decimal("148.50"),
                           tax1=Decimal("11.88"), tax2=Decimal("0.00"), tax3=Decimal("0.00"), vat=Decimal("0.00"),
                           shipping_cost=Decimal("24.00"), total=Decimal("184.38"), items=order_items)


class Emulator:
    def __init__(self, url: str | None, token: str | None):
        self.process = None
        if url:
            self.url, self.token = url, token or ""
            return
        self.folder = tempfile.TemporaryDirectory(prefix="presswise-bench-")
        self.token = secrets.token_hex(16)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "presswise_emulator", "--port", "0", "--db", f"{self.folder.name}/bench.db",
             "--user", USER, "--password", PASSWORD, "--code", CODE, "--control-token", self.token, "--quiet"],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith(READY_LINE):
            raise SystemExit(f"emulator did not start: {line!r}")
        self.url = line[len(READY_LINE):]
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def control(self, path: str, payload: dict | None = None) -> None:
        base = self.url.split("/r/", 1)[0]
        response = requests.post(f"{base}/_control/{path}", json=payload or {}, timeout=30,
                                 headers={"X-Control-Token": self.token})
        response.raise_for_status()

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.folder.cleanup()


def run(call, concurrency: int, duration: float) -> tuple[float, int]:
    """Calls per second of ``call(worker_state)`` looped by ``concurrency`` threads, and the error count."""
    done = [0] * concurrency
    errors = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    stop_at = [0.0]

    def worker(index: int) -> None:
        state: dict = {}
        start.wait()
        while time.monotonic() < stop_at[0]:
            try:
                call(state)
                done[index] += 1
            except Exception:
                errors[index] += 1
        if "session" in state:
            state["session"].close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + duration
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return sum(done) / elapsed, sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--latency", default="0,50", help="emulator latencies in ms, comma separated")
    parser.add_argument("--concurrency", default="1,8,32", help="thread counts, comma separated")
    parser.add_argument("--items", type=int, default=3, help="items per order")
    parser.add_argument("--url", help="a running emulator's SOAP URL (default: start one)")
    parser.add_argument("--control-token", help="that emulator's control token")
    args = parser.parse_args()
    latencies = [float(x) for x in args.latency.split(",")]
    concurrencies = [int(x) for x in args.concurrency.split(",")]

    emulator = Emulator(args.url, args.control_token)
    order = sample_order(args.items)
    account = AccountSettings(emulator.url, USER, PASSWORD, CODE)
    # As the portal calls partners: with the connection-address guard (the emulator's host allow-listed).
    guard = ConnectionAddressGuard(frozenset({"127.0.0.1", "localhost"}))
    client = PressWiseClient(account, Timeouts(connect=5, read=30), address_guard=guard)
    body = build_envelope("add_purchase_order", [
        ("auth", [("user", USER), ("pass", PASSWORD), ("code", CODE)]),
        ("data", purchase_order_data(order, customer_id="42")),
    ])

    def with_client(state):
        client.push_order(order, customer_id="42")

    def bare(state):
        response = requests.post(emulator.url, data=body, headers=HEADERS, timeout=(5, 30))
        response.raise_for_status()
        response.content

    def session(state):
        http = state.get("session")
        if http is None:
            http = state["session"] = requests.Session()
            http.trust_env = False  # as the client's session: no proxy or netrc look-ups per call
        response = http.post(emulator.url, data=body, headers=HEADERS, timeout=(5, 30))
        response.raise_for_status()
        response.content

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
          f"{args.items} items per order, {len(body)} byte request, {args.duration:g} s per cell")
    print(f"{'latency':>8} {'conc':>5} {'client/s':>10} {'bare/s':>10} {'session/s':>10} "
          f"{'client/bare':>12} {'client/session':>15} {'errors':>7}")
    try:
        for latency in latencies:
            for concurrency in concurrencies:
                rates, errors = {}, 0
                for name, call in (("client", with_client), ("bare", bare), ("session", session)):
                    emulator.control("reset")
                    emulator.control("latency", {"fixed_ms": latency})
                    run(call, concurrency, min(1.0, args.duration / 5))  # warm up pools and the emulator
                    rates[name], failed = run(call, concurrency, args.duration)
                    errors += failed
                print(f"{latency:>6g}ms {concurrency:>5} {rates['client']:>10.1f} {rates['bare']:>10.1f} "
                      f"{rates['session']:>10.1f} {rates['client'] / rates['bare']:>12.2f} "
                      f"{rates['client'] / rates['session']:>15.2f} {errors:>7}", flush=True)
    finally:
        client.close()
        emulator.control("reset")
        emulator.stop()


if __name__ == "__main__":
    main()
