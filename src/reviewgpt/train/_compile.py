"""Regional ``torch.compile`` for training: each decoder layer's attention, MLP and norms.

Between its matmuls a QLoRA layer runs dozens of small elementwise passes over [tokens, hidden]:
RMSNorm in fp32, RoPE, SiLU x up, the LoRA dropout, scale and add, peft's defensive copy of every
4-bit layer's output, dtype casts. Compiled, each region's passes fuse into a few kernels (the
matmuls, the 4-bit dequantisation and attention stay the library kernels).

Why per module and not the whole layer: the layer's gradient checkpoint must stay outside the
compiled regions (recent transformers releases call the checkpoint inside the layer's ``forward``,
and a graph break inside a traced checkpoint makes the whole layer run uncompiled); the attention
function is left out (S2-Attn's group arithmetic on the sequence length fails to trace with
dynamic shapes), so the attention module compiles as two graphs around it. ``dynamic=True``: one
graph serves every sequence length after the first recompile, and all layers share it.
"""

from __future__ import annotations

import torch

from reviewgpt.logging import get_logger

log = get_logger(__name__)

#: Model types whose compiled layers are tested against eager and trained (tests/train/test_compile.py);
#: others fail the pre-flight check rather than compile untested (MoE routing has data-dependent shapes).
COMPILE_MODEL_TYPES = frozenset({"llama", "mistral"})


def compile_layers(decoder: torch.nn.Module) -> int:
    """Compile the direct children of each decoder layer, and the final norm, in place.

    Module state and names are unchanged (``Module.compile`` swaps the call implementation), so
    adapters save and load as before.

    Returns:
        How many modules were compiled.
    """
    import torch._dynamo

    modules = [child for layer in decoder.layers for child in layer.children()]
    final_norm = getattr(decoder, "norm", None)
    if isinstance(final_norm, torch.nn.Module):
        modules.append(final_norm)
    # one code object per module class, shared by all layers; train + eval mode and the first
    # static + dynamic compile are within the default limit, but leave room for a validation pass
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 16)  # "recompile_limit" in torch >= 2.6
    for module in modules:
        module.compile(dynamic=True)
    log.info("compiled %d modules of %d decoder layers (the first steps compile)", len(modules), len(decoder.layers))
    return len(modules)
