"""What the tabular and the image model share once built: the trainer's record."""

from __future__ import annotations

from ..training.trainer import GANTrainer

__all__ = ["TrainedModel"]


class TrainedModel:
    """A model whose networks a :class:`GANTrainer` trains (``self.trainer``)."""

    trainer: GANTrainer | None

    @property
    def history(self) -> list[dict[str, float]]:
        """Per generator step, the losses the trainer recorded."""
        return self.trainer.history

    @property
    def steps_done(self) -> int:
        """Generator steps trained so far."""
        return self.trainer.steps_done
