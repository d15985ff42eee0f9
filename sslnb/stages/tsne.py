"""The ``tsne`` stage: openTSNE maps of the evaluation set at the first, middle and last milestone.

Maps of different checkpoints are only comparable if they start from the same place. Every map therefore
starts from one shared initialisation: the first two principal components of the evaluation images'
*pixels*, rescaled to std 1e-4 (openTSNE's recommendation for initialisations), which depends on neither
the checkpoint nor the method. A cluster that moves between maps has moved in the embedding, not
because t-SNE started elsewhere.

Each map is coloured later (notebook ``tsne.ipynb``) by class and by the k-means clustering C1 of the
same embedding: k-means with ``metrics.k`` clusters (default: the number of classes) and ``metrics.seed``
on the whole evaluation set, as the evaluate stage clusters it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from openTSNE import TSNE
from openTSNE.initialization import pca as pca_initialisation
from openTSNE.initialization import rescale
from tqdm.auto import tqdm

from sslnb.config import Params, TsneConfig
from sslnb.sources import load_dataset
from sslnb.io import save_npz
from sslnb.metrics import kmeans
from sslnb.paths import ProjectPaths, epoch_files, epoch_from_name

log = logging.getLogger(__name__)


def select_milestones(epochs: list[int]) -> list[int]:
    """The first, middle and last of the sorted ``epochs`` (fewer if there are fewer)."""
    epochs = sorted(set(epochs))
    if not epochs:
        raise ValueError("no milestones to map")
    return sorted({epochs[0], epochs[(len(epochs) - 1) // 2], epochs[-1]})


def shared_initialisation(images: np.ndarray, random_state: int = 0) -> np.ndarray:
    """(N, 2) starting positions for every map: PCA of the flattened images, std 1e-4."""
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return rescale(pca_initialisation(pixels, n_components=2, random_state=random_state, add_jitter=False))


def tsne_map(Z: np.ndarray, initialisation: np.ndarray, cfg: TsneConfig, n_jobs: int = 1) -> np.ndarray:
    """openTSNE coordinates (N, 2) of ``Z`` started from ``initialisation``."""
    if len(Z) != len(initialisation):
        raise ValueError(f"{len(Z)} embeddings but an initialisation for {len(initialisation)} points")
    perplexity = min(cfg.perplexity, (len(Z) - 1) / 3)  # openTSNE needs 3 * perplexity < N
    model = TSNE(perplexity=perplexity, n_iter=cfg.n_iter, initialization=initialisation,
                 random_state=cfg.seed, n_jobs=n_jobs, verbose=False)
    return np.asarray(model.fit(Z.astype(np.float64)), dtype=np.float32)


def tsne(params: Params, method: str, paths: ProjectPaths) -> Path:
    """Write ``data/tsne/<method>.npz``: ``epochs`` (M,), ``coords`` (M, n, 2), ``clusters`` (M, n),
    ``labels`` (n,), ``index`` (n,) rows of the evaluation set, and ``classes``."""
    cfg = params.tsne
    data = load_dataset(paths.dataset)
    files = {epoch_from_name(f): f for f in epoch_files(paths.embeddings(method), ".npz")}
    if not files:
        raise FileNotFoundError(f"no embeddings in {paths.embeddings(method)}; run the embed stage first")
    epochs = select_milestones(list(files))
    rng = np.random.default_rng(cfg.seed)
    n = min(cfg.samples, len(data.test_images))
    index = np.sort(rng.choice(len(data.test_images), size=n, replace=False))
    initialisation = shared_initialisation(data.test_images[index], cfg.seed)
    k = params.metrics.clusters(data.classes)
    coords, clusters = [], []
    for epoch in tqdm(epochs, desc=f"t-SNE {method}", unit="map"):
        with np.load(files[epoch], allow_pickle=False) as stored:
            key = f"eval_{cfg.layer}"
            if key not in stored.files:
                layers = sorted(name[5:] for name in stored.files if name.startswith("eval_"))
                raise ValueError(f"tsne.layer {cfg.layer!r} is not in {files[epoch]}; layers there: {layers}")
            Z = stored[key]
        clusters.append(kmeans(Z, k, seed=params.metrics.seed)[index])
        coords.append(tsne_map(Z[index], initialisation, cfg, n_jobs=params.train.threads))
    save_npz(paths.tsne(method), epochs=np.array(epochs), coords=np.stack(coords), clusters=np.stack(clusters),
             labels=data.test_labels[index], index=index, classes=np.array(data.classes, dtype=str))
    return paths.tsne(method)
