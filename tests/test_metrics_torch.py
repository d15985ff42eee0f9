"""The metric suite on torch tensors: the same numbers as the NumPy path, computed where the tensor lives."""

import numpy as np
import pytest
import torch

from sslnb.metrics import SuiteOptions, label_free_metrics, second_moments
from sslnb.metrics.entropy import binned_nats
from sslnb.metrics.pairwise import pairwise_pass

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def clustered(n=1500, d=24, k=6, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3, size=(k, d))
    return (centres[rng.integers(0, k, n)] + rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) / 4).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sample_size", [None, 700])
def test_cpu_tensor_gives_the_numpy_numbers(dtype, sample_size):
    Z = clustered(dtype=dtype)
    views = np.stack([Z[:200] + 0.1 * np.random.default_rng(q).normal(size=(200, Z.shape[1])) for q in range(3)],
                     axis=1).astype(dtype)
    options = SuiteOptions(k=6, sample_size=sample_size, silhouette_pca_dim=5, mst_points=300)
    from_numpy = label_free_metrics(Z, options, views=views)
    from_torch = label_free_metrics(torch.from_numpy(Z), options, views=torch.from_numpy(views))
    assert from_numpy.values.keys() == from_torch.values.keys()
    np.testing.assert_array_equal(from_numpy.clusters, from_torch.clusters)  # the same sample, the same k-means
    for name, value in from_numpy.values.items():
        assert np.isfinite(value), name
        np.testing.assert_allclose(from_torch.values[name], value, rtol=1e-10, atol=1e-12, err_msg=name)


def test_the_heavy_parts_agree_piece_by_piece():
    Z = clustered()
    T = torch.from_numpy(Z)
    a, b = second_moments(Z), second_moments(T)
    for field in ("gram", "total", "unit_gram", "unit_total"):
        np.testing.assert_allclose(getattr(b, field), getattr(a, field), rtol=1e-12, atol=1e-9)
    labels = np.arange(len(Z)) % 4
    p, q = pairwise_pass(Z, labels, n_neighbors=3), pairwise_pass(T, labels, n_neighbors=3)
    np.testing.assert_allclose(q.cluster_distance_sums, p.cluster_distance_sums, rtol=1e-12)
    np.testing.assert_allclose(q.neighbor_distances, p.neighbor_distances, rtol=1e-12)
    assert binned_nats(T, 16, normalize=True) == pytest.approx(binned_nats(Z, 16, normalize=True), rel=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_a_tensor_stays_where_it_is_and_bad_tensors_are_named(device):
    Z = torch.from_numpy(clustered(n=400)).to(device)
    result = label_free_metrics(Z, SuiteOptions(k=6, sample_size=300))
    expected = label_free_metrics(Z.cpu().numpy(), SuiteOptions(k=6, sample_size=300))
    for name in ("rankme", "silhouette", "entropy_kl_bits", "entropy_binned_bits", "twonn_dimension"):
        assert result.values[name] == pytest.approx(expected.values[name], rel=1e-5), name  # GPU float32 sums
    bad = Z.clone()
    bad[7, 0] = float("nan")
    with pytest.raises(ValueError, match=r"NaN or inf in 1 row\(s\) \(first: \[7\]\)"):
        label_free_metrics(bad)
    with pytest.raises(ValueError, match="2-D tensor"):
        label_free_metrics(Z[None])
