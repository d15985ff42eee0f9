import gzip
import struct

import numpy as np
import pytest

from sslnb.sources import read_idx, write_idx


def test_reads_a_hand_built_idx_file(tmp_path):
    values = bytes(range(6))
    raw = bytes([0, 0, 0x08, 3]) + struct.pack(">3i", 1, 2, 3) + values
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(raw))
    array = read_idx(path)
    assert array.dtype == np.uint8
    assert array.shape == (1, 2, 3)
    assert array.ravel().tolist() == list(range(6))


@pytest.mark.parametrize("name", ["x-idx1-ubyte", "x-idx1-ubyte.gz"])
def test_round_trip_plain_and_gzip(tmp_path, name):
    array = np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    write_idx(tmp_path / name, array)
    np.testing.assert_array_equal(read_idx(tmp_path / name), array)


def test_truncated_file_is_named(tmp_path):
    path = tmp_path / "t-idx1-ubyte"
    write_idx(path, np.zeros((10, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_not_idx_is_named(tmp_path):
    path = tmp_path / "junk"
    path.write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)
