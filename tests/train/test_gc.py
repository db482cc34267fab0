"""training.gc_interval: no automatic collection while training, the young generations on schedule."""

from __future__ import annotations

import gc

import pytest

from reviewgpt.train._gc import ScheduledCollection


@pytest.fixture
def collections():
    """The generations Python collects while the test runs, in order."""
    seen: list[int] = []

    def record(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)
    gc.enable()


def test_collects_the_young_generations_every_interval_and_restores_automatic_collection(collections):
    schedule = ScheduledCollection(2)
    schedule.start()
    assert not gc.isenabled()
    collections.clear()
    for step in range(1, 6):
        schedule.step(step)
    assert collections == [1, 1]  # after steps 2 and 4, young generations only
    schedule.stop()
    assert gc.isenabled()
    assert collections[-1] == 2  # the cycles left in the oldest generation


def test_interval_zero_leaves_python_alone(collections):
    schedule = ScheduledCollection(0)
    schedule.start()
    assert gc.isenabled()
    collections.clear()
    schedule.step(1)
    schedule.stop()
    assert collections == []


def test_a_process_that_had_collection_off_keeps_it_off(collections):
    gc.disable()
    schedule = ScheduledCollection(1)
    schedule.start()
    schedule.stop()
    assert not gc.isenabled()


def test_negative_interval_is_rejected():
    with pytest.raises(ValueError, match="interval"):
        ScheduledCollection(-1)


@pytest.mark.slow
def test_training_runs_without_automatic_collection_and_restores_it(dataset, tiny_llama, make_config, collections,
                                                                   monkeypatch):
    """A real run: collection off during the optimizer steps, the young generations once per step, back on after
    the run, and back on after a run that fails."""
    from transformers import TrainerCallback

    from reviewgpt.train import _trainer, run

    enabled_during_steps: list[bool] = []

    class Probe(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            enabled_during_steps.append(gc.isenabled())

    original_init = _trainer.ReviewTrainer.__init__

    def init_with_probe(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.add_callback(Probe())

    monkeypatch.setattr(_trainer.ReviewTrainer, "__init__", init_with_probe)
    cfg = make_config(dataset, tiny_llama, max_steps=3)
    collections.clear()
    run(cfg)
    assert enabled_during_steps == [False] * 3
    assert collections.count(1) >= 3
    assert gc.isenabled()

    def fail(self, *args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(_trainer.ReviewTrainer, "training_step", fail)
    with pytest.raises(RuntimeError):
        run(make_config(dataset, tiny_llama, max_steps=3))
    assert gc.isenabled()
