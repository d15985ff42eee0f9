"""Training SSL encoders: methods and their losses, encoders, augmentation, the trainer and its callbacks.

What ``python -m sslnb train`` runs (:mod:`sslnb.training.trainer`), usable on its own: a method of
:mod:`sslnb.training.methods` wraps an encoder of :mod:`sslnb.training.models` with its loss
(:mod:`sslnb.training.losses`); :class:`~sslnb.training.trainer.Trainer` runs the epochs and hands each
one to its callbacks (:mod:`sslnb.training.callbacks`); :mod:`sslnb.training.distributed` is the
``torchrun``/DDP context.
"""
