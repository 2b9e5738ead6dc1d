import os

# The suite runs offline at quick scale on the CPU, with quiet progress bars.
os.environ.setdefault("FSCORE_SCALE", "quick")
os.environ.setdefault("FSCORE_PROGRESS", "0")
