"""Training a conditional GAN.

- ``trainer``: the loop, its steps, the moving-average generator and callbacks.
- ``guard``: recovery from failed steps and the collapse check, owned by the trainer.
- ``batches``: one class-balanced batch source for tensors and Datasets.
- ``diverse``: the image model's trainer, with MSGAN's mode-seeking term.
- ``threads``: the thread tuner of ``n_jobs="auto"``.
- ``jobs``: what ``n_jobs`` means, threads for a fit or a draw.
"""
