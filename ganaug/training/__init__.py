"""Training a conditional GAN: the loop (``trainer``), its batches (``batches``)
and the thread tuner of ``n_jobs="auto"`` (``threads``)."""
