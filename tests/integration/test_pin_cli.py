"""`playclock pin set` with the PINs on stdin (issue 14, item 3)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.agentproc import playclock_argv

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the root-only file store is POSIX")


def run(tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
    env.update(
        PLAYCLOCK_SECRETS_DIR=str(secrets),
        PYTHON_KEYRING_BACKEND="agent.security.root_keyring.RootFileKeyring",
        PLAYCLOCK_LANG="en",
    )
    argv = [*playclock_argv(), "--data-dir", str(tmp_path / "data"), "pin", *args]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=60)


def test_changing_the_pin_on_stdin_takes_current_then_new_twice(tmp_path: Path) -> None:
    assert run(tmp_path, "set", stdin="1357\n").returncode == 0  # the first PIN: one line

    # One line when a PIN exists: it used to be read as the current PIN ("The PIN is empty.").
    once = run(tmp_path, "set", stdin="2468\n")
    assert once.returncode == 2
    assert once.stderr.strip() == (
        "playclock: A PIN is already set: give the current PIN, then the new PIN twice, "
        "one per line (printf '%s\\n' CURRENT NEW NEW | playclock pin set)."
    )
    assert "empty" not in once.stderr
    assert run(tmp_path, "verify", stdin="1357\n").returncode == 0  # nothing changed

    differ = run(tmp_path, "set", stdin="1357\n2468\n2469\n")
    assert differ.returncode == 2 and "differ" in differ.stderr

    wrong = run(tmp_path, "set", stdin="0000\n2468\n2468\n")
    assert wrong.returncode != 0
    assert run(tmp_path, "verify", stdin="1357\n").returncode == 0

    changed = run(tmp_path, "set", stdin="1357\n2468\n2468\n")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "PIN saved."
    assert run(tmp_path, "verify", stdin="2468\n").returncode == 0
    assert run(tmp_path, "verify", stdin="1357\n").returncode == 1
