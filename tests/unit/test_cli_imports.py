"""Issue 13: `plexsync` commands import only what they need, so the ones that read the queue start quickly."""

import os
import subprocess
import sys

import pytest

NETWORK_STACK = ("requests", "urllib3", "plexapi", "keyring")
PROBE = ("import sys\nfrom plexsync_gui.cli.main import main\ncode = main(sys.argv[1:])\n"
         f"print('loaded:', sorted(m for m in {NETWORK_STACK!r} if m in sys.modules))\nsys.exit(code)\n")


@pytest.mark.parametrize("argv", [["queue", "list"], ["dlq", "list"], ["status"]])
def test_local_commands_never_load_the_network_stack(tmp_path, argv):
    config = tmp_path / "config.toml"  # `status` wants one (without it says so and exits 2)
    config.write_text('[stash]\nurl = "http://127.0.0.1:9"\n[plex]\nurl = "http://127.0.0.1:9"\ntoken = "t"\n')
    config.chmod(0o600)
    env = {**os.environ, "PLEXSYNC_DATA_DIR": str(tmp_path / "data"), "PLEXSYNC_CONFIG": str(config)}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "loaded: []"
