"""Progress bars: rates and time left are averages since the start, right when items finish in bursts."""

from __future__ import annotations

from rich.progress import Progress

from reviewgpt.progress import average_eta_column, average_rate, average_rate_column


def _bursty_task(clock: list[float]):
    progress = Progress(get_time=lambda: clock[0], auto_refresh=False, disable=True)
    task_id = progress.add_task("reviews", total=32)
    for _ in range(2):  # two batches of 8 reviews, each done 60 s after the last, advanced item by item
        clock[0] += 60.0
        for _ in range(8):
            clock[0] += 0.001
            progress.advance(task_id)
    return progress.tasks[0]


def test_rate_of_batches_is_items_over_elapsed_time():
    clock = [1000.0]
    task = _bursty_task(clock)
    assert abs(average_rate(task) - 16 / 120.016) < 1e-9
    assert str(average_rate_column("reviews", per_hour=True).render(task)) == "480 reviews/hour"
    # rich's own windowed speed reads a burst as ~1,000 items per second: the bug the average fixes
    assert task.speed > 100
    assert str(average_eta_column().render(task)) == "0:02:00"  # 16 left at 16 per 120 s


def test_a_resumed_task_counts_its_own_items_only():
    clock = [0.0]
    progress = Progress(get_time=lambda: clock[0], auto_refresh=False, disable=True)
    task_id = progress.add_task("train", total=100, completed=50, done_before=50)
    clock[0] += 10.0
    progress.update(task_id, completed=60)
    assert average_rate(progress.tasks[0]) == 1.0
    assert str(average_eta_column().render(progress.tasks[0])) == "0:00:40"
