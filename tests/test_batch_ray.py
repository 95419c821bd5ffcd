"""`lego-edit batch --ray` on a real local Ray instance (2 CPUs) started by the test: outputs byte for byte what
`lego-edit edit` writes, and an actor process killed mid-batch loses and duplicates nothing."""

from __future__ import annotations

import os
import signal

import pytest

from lego_edit.daemon.cli.app import main
from tests.test_batch import INSTRUCTION, check_batch, shared_photos

pytestmark = pytest.mark.ray

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def photos():
    return shared_photos()


def test_folder_batch_on_ray_matches_single_edits(cluster, photos, tmp_path, capsys):
    folder, _, references = photos
    status = main(["batch", str(folder), "-o", str(tmp_path / "out"), "--instruction", INSTRUCTION, "--ray", "auto",
                   "--quiet"])
    assert status == 1  # the corrupt file
    lines = check_batch(tmp_path / "out", references)
    assert len({r["worker"] for r in lines if r["status"] == "done"}) >= 2  # both actors worked (a slow start may restart one)
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
    assert len(set(workers)) >= 3  # two actors, the killed one restarted in a new process


def test_daemon_edit_jobs_run_on_ray_actors(cluster):
    """`[daemon] executor = "auto"`: an edit sent to a real daemon runs on a Ray actor, streams the same events and
    returns the same pixels as the daemon's own executor, with the job's seed; a failing step keeps its error code."""
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.workflow import Workflow
    from lego_edit.daemon.service.runner import job_executor
    from tests.daemon_util import Raw, config, image_desc, red_disk, running_server

    cfg = config(daemon={"executor": "auto"})
    registry = default_registry()
    executor = job_executor(cfg, registry)
    assert type(executor).__name__ == "RayExecutor"
    image = red_disk(160)
    with running_server(cfg, registry=registry, executor=executor) as server:
        raw = Raw(server.endpoint)
        try:
            raw.send({"id": "e1", "type": "edit", "instruction": "remove the red object", "seed": 42,
                      "image": image_desc(160, 160)}, image.tobytes())
            events = raw.until_terminal("e1", timeout=60)
            raw.send({"id": "e2", "type": "run", "image": image_desc(160, 160), "workflow": {
                "process": "x", "pipeline": [{"step": 1, "model": "RES", "input": {"image": "init[image]",
                                                                                  "prompt": "the dog"}},
                                             {"result": "[step1[mask]]"}]}}, image.tobytes())
            failed = raw.until_terminal("e2", timeout=60)[-1][0]
            assert len(executor._actors) == 2  # made on the first job: one per CPU of the cluster
        finally:
            raw.close()
    types = [h["type"] for h, _ in events]
    assert types[:2] == ["accepted", "plan"] and types[-1] == "result" and "progress" in types and "layer" in types
    header, blobs = events[-1]
    assert header["seed"] == 42 and events[1][0]["seed"] == 42  # the seed reaches the actor's executor and comes back
    workflow = Workflow.from_dict(events[1][0]["workflow"])
    local = Executor(registry).run(workflow, {"image": image, "mask": None})
    final = dict(local.result)[header["layers"][-1]["ref"]]
    assert bytes(blobs[header["layers"][-1]["image"]["frame"] - 1]) == final.tobytes()
    assert failed["type"] == "error" and failed["code"] == "brick_failed" and failed["step"] == 1, failed
    assert executor._actors == []  # the daemon's stop let them go
