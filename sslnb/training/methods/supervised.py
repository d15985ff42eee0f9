"""The supervised reference: the same backbone and projector, trained with labels.

Not an SSL method: it answers "how good can this architecture get on this data with labels?", the
upper reference against which label-free metrics are compared across architectures (issue 6), as the
random initialisation (epoch 0) is the lower one. The projector feeds a linear classifier and the loss is
the cross-entropy of the first augmented view's logits with its label (the second view is unused):

    h = f(x_1),  z = g(h),  L = CE(W z + b, y)

so the backbone and projector layers mean the same as for the SSL methods.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from sslnb.training.methods.base import SSLMethod
from sslnb.training.models import mlp_head


class Supervised(SSLMethod):
    uses_labels = True  # the training loop passes each view's labels to forward

    def __init__(self, backbone: nn.Module, projector_hidden: int, projector_dim: int, classes: int = 10,
                 label_smoothing: float = 0.0):
        super().__init__()
        if classes < 2:
            raise ValueError(f"methods.supervised.classes must be at least 2, got {classes}")
        self.backbone = backbone
        self.projector = mlp_head(backbone.embedding_dim, projector_hidden, projector_dim)
        self.classifier = nn.Linear(projector_dim, classes)
        self.classes = classes
        self.label_smoothing = label_smoothing

    def forward(self, view1: torch.Tensor, view2: torch.Tensor, labels: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if labels.min() < 0 or labels.max() >= self.classes:
            raise ValueError(f"labels must lie in 0..{self.classes - 1} (methods.supervised.classes), got "
                             f"{int(labels.min())}..{int(labels.max())}")
        z = self.projector(self.backbone(view1))
        loss = functional.cross_entropy(self.classifier(z), labels, label_smoothing=self.label_smoothing)
        return loss, z.detach()
