"""Argument checks shared by the convolutional encoders."""


def check_conv_shape(width: int, stages: int, blocks_per_stage: int) -> None:
    if width < 1 or stages < 1 or blocks_per_stage < 1:
        raise ValueError(
            f"width, stages and blocks_per_stage must be positive, got {width}, {stages}, {blocks_per_stage}"
        )
