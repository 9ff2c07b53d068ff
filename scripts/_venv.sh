# Shared by scripts/run and scripts/test: find Python 3.11, create .venv, install a
# requirements file only when it (or a file it includes) changed since the last install.
# Sourced, not executed; expects ROOT to be the repository root.

VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

find_python311() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        return 0
    fi
    local python
    python="$(find_python311)" || die "Python 3.11 not found (looked for python3.11 and python3)"
    say "Creating virtualenv .venv with $python"
    rm -rf "$VENV"
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
        # Debian's python3.11 lacks ensurepip until python3.11-venv is installed.
        rm -rf "$VENV"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "Installing python3.11-venv with apt-get"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-venv >/dev/null
            "$python" -m venv "$VENV" || die "could not create .venv"
        else
            die "'$python -m venv' failed: install python3.11-venv (apt-get install python3.11-venv)"
        fi
    fi
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
}

# Hash of a requirements file and every file it pulls in with -r.
requirements_digest() {
    "$VENV/bin/python" - "$1" <<'PY'
import hashlib, pathlib, sys

def lines(path, seen):
    path = path.resolve()
    if path in seen:
        return
    seen.add(path)
    for line in path.read_text().splitlines():
        yield line
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("-r", "--requirement"):
            yield from lines(path.parent / parts[1], seen)

digest = hashlib.sha256(sys.version.encode())
for line in lines(pathlib.Path(sys.argv[1]), set()):
    digest.update(line.encode() + b"\n")
print(digest.hexdigest())
PY
}

ensure_requirements() {
    local file="$1" stamp digest
    stamp="$VENV/.installed-$(basename "$file")"
    digest="$(requirements_digest "$ROOT/$file")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return 0
    fi
    say "Installing $file into .venv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$file" \
        || die "pip install -r $file failed"
    echo "$digest" > "$stamp"
}
