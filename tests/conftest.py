import os

# albumentations 2.0.8 checks the network for updates on import; CI has no network.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
