"""The architecture sweep's table: one SSL method and the supervised reference on several encoder families.

The study's last finding (its Figure 5) is that clustering metrics seem valid only within one
architecture while entropy may be architecture-independent. The ``architectures`` sweep of
``params.yaml`` (a named sweep, :mod:`sslnb.sweeps.spec`) trains each encoder (a named value of its ``model``
grid key) with each method of its ``method`` key. Three kinds of model per encoder enter the comparison:
the SSL method's final checkpoint, the supervised reference's final checkpoint (labels: the upper
reference), and the random initialisation (epoch 0 of the SSL run: the lower reference).
"""

from __future__ import annotations

import pandas as pd

SUPERVISED = "supervised"
ENCODER_KEY = "model"  # the grid key whose named values are the encoders


def architecture_table(runs: pd.DataFrame, layer: str = "backbone") -> pd.DataFrame:
    """One row per encoder x kind (SSL final, supervised final, random initialisation) with every metric
    and ``reference`` (the same row's linear-probe accuracy); columns ``architecture`` and ``kind``.

    ``runs`` is the collected architecture sweep (``data/sweeps/architectures.csv``).
    """
    if ENCODER_KEY not in runs.columns:
        raise ValueError(f"the sweep table has no {ENCODER_KEY!r} column: the architecture sweep's grid must vary "
                         f"'{ENCODER_KEY}' with named encoders, e.g. 'model: {{vit: {{architecture: vit}}}}'")
    rows = []
    for (encoder, method), table in runs[runs.layer == layer].groupby([ENCODER_KEY, "method"], sort=True):
        table = table.sort_values("epoch")
        rows.append(table.iloc[-1].to_dict() | {"kind": method, "architecture": encoder})
        if method != SUPERVISED and table.epoch.iloc[0] == 0:
            rows.append(table.iloc[0].to_dict() | {"kind": "random", "architecture": encoder})
    if not rows:
        raise ValueError(f"the architecture sweep's table has no rows of layer {layer!r}")
    result = pd.DataFrame(rows)
    result["reference"] = result["linear_probe_acc"]
    return result
