"""The metric registry is the one declaration of every metric: what derives from it, and its options' rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sslnb import columns
from sslnb.config import params_from_dict
from sslnb.constraints import rules_of
from sslnb.metrics import METRICS, MetricOptions, SuiteOptions, label_free_metrics
from sslnb.metrics.registry import (
    BY_NAME, EMBEDDINGS, LABEL_FREE, REFERENCE, SUITE_OPTIONS, VIEWS, metric, names, suite_entries,
)
from sslnb.analysis.plotting import label
from sslnb.analysis.runs import WIDTH_BOUNDED
from sslnb.analysis.selection import DIRECTIONS, UNDIRECTED


def test_names_are_unique_and_the_columns_derive_from_the_registry():
    assert len(BY_NAME) == len(METRICS)
    assert columns.SUITE == columns.EMBEDDING_ONLY + columns.NEED_VIEWS
    assert set(columns.LABEL_FREE) == set(names(role=LABEL_FREE)) | set(columns.SUITE)
    assert set(columns.LABEL_BASED) == set(names(role=REFERENCE))
    assert columns.HELDOUT == "heldout_loss" and metric("heldout_loss").needs == VIEWS
    # the leaderboard judges the 18 directed label-free metrics
    assert len(columns.JUDGED) == 18 and all(DIRECTIONS[name] for name in columns.JUDGED)


def test_the_suite_returns_exactly_its_declared_columns_in_order():
    Z = np.random.default_rng(0).normal(size=(120, 8)).astype(np.float32)
    views = np.stack([Z[:40] + 0.01 * i for i in range(3)], axis=1)
    values = label_free_metrics(Z, MetricOptions(k=3, silhouette_pca_dim=4, mst_points=60), views=views).values
    assert tuple(values) == columns.SUITE
    assert tuple(label_free_metrics(Z, MetricOptions(k=3, mst_points=60)).values) == columns.EMBEDDING_ONLY
    assert all(np.isfinite(values[name]) for name in columns.SUITE)


def test_every_metric_has_a_direction_or_is_declared_undirected_and_a_label():
    for entry in METRICS:
        assert (entry.name in DIRECTIONS) != (entry.name in UNDIRECTED) or entry.role == "diagnostic", entry.name
        assert label(entry.name) == entry.shown_as
    assert set(WIDTH_BOUNDED) == {"rankme", "nesum", "stable_rank", "entropy_gaussian_bits"}


def test_every_option_is_read_by_a_metric_and_every_metric_reads_declared_options():
    fields = {f.name for f in dataclasses.fields(MetricOptions)}
    used = set(SUITE_OPTIONS) | {option for entry in METRICS for option in entry.options}
    assert used == fields
    for needs in (EMBEDDINGS, VIEWS):
        assert all(entry.compute is not None for entry in suite_entries(needs))


def test_one_options_type_for_the_library_and_params_yaml():
    assert SuiteOptions is MetricOptions
    assert params_from_dict({}).metrics == MetricOptions()  # the same defaults: silhouette_pca_dim 16 in both


BAD = {  # a value that breaks each declared rule
    "k": 1, "sample_size": 1, "silhouette_pca_dim": 0, "entropy_neighbors": 0, "entropy_bins": 1,
    "alpha_first_rank": 0, "mst_points": 5, "learnability_neighbors": 0, "view_samples": 1, "views": 1,
    "knn_k": 0, "knn_temperature": 0.0, "probe_max_iter": 0, "outlier_z": -1.0, "heldout_temperature": 0.0,
}


@pytest.mark.parametrize("key", sorted(rules_of(MetricOptions)))
def test_each_rule_refuses_a_bad_value_naming_the_key(key):
    with pytest.raises(ValueError, match=rf"metrics\.{key} must .*, got"):
        MetricOptions(**{key: BAD[key]})
    with pytest.raises(ValueError, match=rf"metrics\.{key} must"):
        params_from_dict({"metrics": {key: BAD[key]}})


def test_every_rule_is_tested():
    assert set(rules_of(MetricOptions)) == set(BAD)


def test_an_unknown_metric_names_the_registry():
    with pytest.raises(ValueError, match="sslnb.metrics.registry.METRICS"):
        metric("no_such_metric")
