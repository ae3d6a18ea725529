"""`vqa train reasoner`'s batches: a resumed run trains on the batches of an uninterrupted one."""
from types import SimpleNamespace

from vqa.train.reasoner import TrainConfig, _draws


def test_draws_resumed_at_a_step_are_the_tail_of_the_uninterrupted_draws():
    train = [SimpleNamespace(question=f"how many red cubes are left of the sphere {k}?") for k in range(40)]
    tc = TrainConfig(iterations=30, batch_size=4, seed=3)
    whole = [(list(map(id, b)), texts) for b, texts in _draws(train, tc, 0)]
    resumed = [(list(map(id, b)), texts) for b, texts in _draws(train, tc, 17)]
    assert len(whole) == 30 and resumed == whole[17:]
