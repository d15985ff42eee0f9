import numpy as np
import pytest
import torch

from sslnb.io import atomic_path, load_checkpoint, save_checkpoint, save_npz


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out" / "table.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.npz"
    save_npz(target, x=np.arange(3))
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"garbage")
            raise RuntimeError
    with np.load(target) as archive:
        assert archive["x"].tolist() == [0, 1, 2]


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "epoch_0001.pt"
    save_checkpoint({"epoch": 1, "model": {"w": torch.randn(100, 100)}}, path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ValueError, match="truncated or corrupt.*retrain"):
        load_checkpoint(path)


def test_checkpoint_with_code_is_refused(tmp_path):
    path = tmp_path / "epoch_0001.pt"
    torch.save({"epoch": 1, "model": {}, "evil": np.random.default_rng}, path)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_checkpoint(path)


def test_missing_checkpoint_says_which_stage(tmp_path):
    with pytest.raises(FileNotFoundError, match="train stage"):
        load_checkpoint(tmp_path / "epoch_0003.pt")
