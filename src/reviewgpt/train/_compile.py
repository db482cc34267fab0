"""Regional ``torch.compile`` for training: each decoder layer's forward, its checkpoint outside.

Between its matmuls a QLoRA layer runs dozens of small elementwise passes over [tokens, hidden]:
RMSNorm in fp32, RoPE, SiLU x up, dtype casts, the residual adds (and, for LoRA layers that are not
4-bit, the LoRA scale and add). Compiled, each region's passes fuse into a few kernels (the matmuls,
the 4-bit dequantisation, the fused QLoRA ops of ``_qlora_linear``, dropout and attention stay
library kernels).

The layer's gradient checkpoint stays outside the compiled code: a graph break inside a traced
checkpoint would make the whole layer run uncompiled. transformers checkpoints either around the
layer's ``__call__`` (5.17) or inside its ``forward`` (later releases); here the layer's own flag
is turned off and the layer gets a forward that checkpoints the compiled one, the same on every
release. The attention function is not traced (S2-Attn's group arithmetic on the sequence length
fails to trace with dynamic shapes), so a layer runs as two graphs around it: the input norm,
q/k/v and RoPE; o_proj, the residual add, MLP norm, MLP and second residual add. That takes Dynamo's
nested graph breaks (``torch._dynamo.config.nested_graph_breaks``, set for the process on torch
>= 2.13; 2.11's fail to resume inside ``Module.__call__``). Without them a break inside the
attention module also splits the layer's own frame and the attention module's frames compile on
their own: four or more graphs per layer, and each graph call costs host time (guards, the
AOTAutograd and Inductor wrappers) on a forward that is launch-bound on a slow host.

transformers >= 5.2x wraps the attention module's forward in the ``kernels`` package's
``use_kernelized_func`` router, which sets a context variable inside ``try``/``finally``; Dynamo
cannot resume a nested graph break inside that block, so S2-Attn's break split the layer into four
graphs again. Unless a hub kernel was actually swapped in (``kernels.kernelize``), the router only
calls the plain function, so the compiled layers' modules get their forward without it.

Shapes: the first sequence length compiles static graphs; the second recompiles them with the
sequence length symbolic (Dynamo's automatic dynamic shapes), and every later length reuses those.
Only the sequence length is symbolic: with ``dynamic=True`` the hidden and head sizes were too, and
Inductor's elementwise kernels computed their indices with run-time divisions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from types import MethodType
from typing import Any

import torch

from reviewgpt.logging import get_logger

log = get_logger(__name__)

#: Model types whose compiled layers are tested against eager and trained (tests/train/test_compile.py);
#: others fail the pre-flight check rather than compile untested (MoE routing has data-dependent shapes).
COMPILE_MODEL_TYPES = frozenset({"llama", "mistral"})


def nested_graph_breaks_work() -> bool:
    """Whether this torch has nested graph breaks that resume correctly (2.11's fail inside ``Module.__call__``)."""
    import torch._dynamo

    release = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2])
    return release >= (2, 13) and hasattr(torch._dynamo.config, "nested_graph_breaks")


def _without_kernel_router(layer: torch.nn.Module) -> int:
    """Give the layer's submodules whose forward ``kernels.use_kernelized_func`` wraps the wrapped forward.

    Only where no hub kernel replaced one of the module's functions: then the router calls the plain
    functions anyway. Returns how many modules were changed.
    """
    changed = 0
    for module in layer.modules():
        kernel_funcs = getattr(module, "_kernel_funcs", None)
        routed = getattr(type(module).forward, "__wrapped__", None)
        if not isinstance(kernel_funcs, dict) or routed is None:
            continue
        if any("forward" in vars(func) for func in kernel_funcs.values()):  # kernelize() swapped a kernel in
            continue
        module.forward = MethodType(routed, module)
        changed += 1
    return changed


def _checkpointed_forward(compiled: Callable, checkpoint: Callable | None, layer: torch.nn.Module, *args, **kwargs) -> Any:
    if checkpoint is not None and layer.training and torch.is_grad_enabled():
        return checkpoint(partial(compiled, layer, **kwargs), *args)
    return compiled(layer, *args, **kwargs)


def compile_layers(decoder: torch.nn.Module) -> int:
    """Compile each decoder layer's forward, and the final norm, in place.

    A layer that transformers checkpoints (``gradient_checkpointing_enable`` was called) keeps its
    checkpoint function, now called around the compiled forward. Module state and names are
    unchanged (only the instance's ``forward`` is replaced), so adapters save and load as before.

    Returns:
        How many layers were compiled.
    """
    import torch._dynamo

    # train + eval mode and the first static + dynamic compile are within the default limit,
    # but leave room for a validation pass
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 16)  # "recompile_limit" in torch >= 2.6
    if nested_graph_breaks_work():
        torch._dynamo.config.nested_graph_breaks = True
    compiled: dict[type, Callable] = {}
    for layer in decoder.layers:
        cls = type(layer)
        if cls not in compiled:
            # the function under transformers' decorators (checkpointing, deprecated-argument wrappers):
            # a code object of this class alone, so its compiled graphs are not mixed up with others'
            compiled[cls] = torch.compile(inspect.unwrap(cls.forward))
        _without_kernel_router(layer)
        checkpoint = layer._gradient_checkpointing_func if getattr(layer, "gradient_checkpointing", False) else None
        layer.gradient_checkpointing = False
        layer.forward = MethodType(partial(_checkpointed_forward, compiled[cls], checkpoint), layer)
    final_norm = getattr(decoder, "norm", None)
    if isinstance(final_norm, torch.nn.Module):
        final_norm.compile()
    log.info("compiled %d decoder layers (the first steps compile)", len(decoder.layers))
    return len(decoder.layers)
