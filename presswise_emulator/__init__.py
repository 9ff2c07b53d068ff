"""A PressWise order API emulator for demos, tests and benchmarks.

Run it with ``python -m presswise_emulator --help``. It serves the SOAP endpoint
``POST /r/wsdl-order2.php`` as docs/presswise-contract.md describes, keeps its orders,
jobs, users and shipments in its own SQLite file, shows what it received at ``/``, and
lets tests steer it through the token-protected JSON API under ``/_control/``.

It shares no code with the portal's client on purpose: a double that reused the
client's parser would agree with the client's mistakes.
"""

SOAP_PATH = "/r/wsdl-order2.php"
