"""Imported first by the language-model benchmarks: they never need the Hugging Face Hub.

Their models are built from configs and saved to and loaded from local folders, but transformers
and llmcompressor may still ask the Hub about a name (a chat template, a processor) and wait on
the network; ``HF_HUB_OFFLINE`` stops that. It is read once, when ``huggingface_hub`` is first
imported, so this module must come before anything that imports transformers. A user's own
setting is kept. (The library itself, :mod:`zoo.language`, leaves the variable alone.)
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
