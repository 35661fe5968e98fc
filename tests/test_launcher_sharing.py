"""Two test sessions on one machine share the local servers: the first to finish leaves them to the other."""

import subprocess
import sys
from pathlib import Path

from deploy.local.launcher import Endpoints, LocalServers, Profile


class CountingServers(LocalServers):
    """The launcher's lifetime rules with the starting and stopping counted instead of done."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(Profile("test", 1, 2, 3, state_dir, wipe_on_start=True))
        self.stops = 0

    def start(self, *, fresh: bool = False) -> Endpoints:
        return self.endpoints

    def _stop_locked(self) -> None:
        self.stops += 1


def test_the_servers_stop_only_when_the_last_session_using_them_ends(tmp_path: Path) -> None:
    servers = CountingServers(tmp_path)
    other_session = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "users").mkdir()
        (tmp_path / "users" / str(other_session.pid)).touch()  # another session is using them
        with servers.shared():
            pass
        assert servers.stops == 0
    finally:
        other_session.kill()
        other_session.wait()
    with servers.shared():  # the other session is gone (its pid file left behind by a crash)
        pass
    assert servers.stops == 1
    assert list((tmp_path / "users").iterdir()) == []
