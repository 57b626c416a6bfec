"""Shared language-model pieces: corpus, tokenizer, the small Llama, training, perplexity.

Used by the tests, the benchmark's language-model section and every language-model method
(GPTQ, AWQ, SmoothQuant, SparseGPT, Wanda, ...), like :mod:`zoo.nets` and :mod:`zoo.data` for
vision. Needs the ``llm`` extra (``pip install "aladin-zoo[llm]"``): transformers, tokenizers,
safetensors. Submodules are imported on their own (``from zoo.language.train import prepare_lm``)
so that the torch-only pieces (:mod:`.perplexity`, :mod:`.calibration`) work without it.

Everything here is local — a model built from a config, a tokenizer trained here, folders saved
and loaded by path — so nothing needs the Hugging Face Hub; importing the package leaves
``HF_HUB_OFFLINE`` to the user (the benchmark's entry points and the tests set it themselves).
"""
