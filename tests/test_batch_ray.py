"""`lego-edit batch --ray` on a real local Ray instance (2 CPUs) started by the test: outputs byte for byte what
`lego-edit edit` writes, and an actor process killed mid-batch loses and duplicates nothing."""

from __future__ import annotations

import os
import signal

import pytest

from lego_edit.daemon.cli.app import main
from tests.test_batch import INSTRUCTION, check_batch, reference_edits, write_photos

pytestmark = pytest.mark.ray

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray-batch")
    paths = write_photos(root / "in")
    return root / "in", paths, reference_edits(paths, root / "single")


def test_folder_batch_on_ray_matches_single_edits(cluster, photos, tmp_path, capsys):
    folder, _, references = photos
    status = main(["batch", str(folder), "-o", str(tmp_path / "out"), "--instruction", INSTRUCTION, "--ray", "auto",
                   "--quiet"])
    assert status == 1  # the corrupt file
    lines = check_batch(tmp_path / "out", references)
    assert len({r["worker"] for r in lines if r["status"] == "done"}) == 2  # both actors worked
    table = capsys.readouterr().out
    assert "on a Ray pool of 2" in table and "2 Ray actor(s), 1 CPU each (2 CPUs in the cluster)" in table


def test_a_killed_actor_is_restarted_and_its_items_retried(cluster, photos, tmp_path):
    from lego_edit.batch.items import collect
    from lego_edit.batch.runner import BatchOptions, run_batch
    from lego_edit.daemon.config import load

    folder, _, references = photos
    killed: list[str] = []

    def kill_an_actor(record):
        if not killed and record["status"] == "done":
            os.kill(int(record["worker"].rsplit(":", 1)[1]), signal.SIGKILL)  # the actor's process exits
            killed.append(record["worker"])

    options = BatchOptions(tmp_path / "out", ray="auto", progress=False)
    summary = run_batch(load(), collect(folder, INSTRUCTION), options, on_record=kill_an_actor)
    lines = check_batch(tmp_path / "out", references)
    assert killed and summary.counts() == {"done": 20, "failed": 1}
    workers = [r["worker"] for r in lines if r["status"] == "done"]
    assert killed[0] not in workers[len(workers) // 2:]  # the dead process did no more
    assert len(set(workers)) == 3  # two actors, one of them restarted in a new process
