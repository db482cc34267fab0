"""Read a build-dataset export with LLaMA-Factory's own dataset_info parser and converters (CPU, no training).

LLaMA-Factory need not be installed in the project's environment; docs/dataset.md says how it was run:

    DISABLE_VERSION_CHECK=1 PYTHONPATH=<llamafactory wheel>:<its deps> python scripts/check_llamafactory_export.py data/dataset/v1/exports
"""

from __future__ import annotations

import json
import sys
import types

import yaml


def main(exports: str) -> None:
    import llamafactory

    # llamafactory.data's __init__ imports the multimodal stack (torchaudio...); the parser needs none of it
    data_pkg = types.ModuleType("llamafactory.data")
    data_pkg.__path__ = [llamafactory.__path__[0] + "/data"]
    sys.modules["llamafactory.data"] = data_pkg
    from llamafactory.data.converter import get_dataset_converter
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.hparams.data_args import DataArguments

    settings = yaml.safe_load(open(f"{exports}/llamafactory_sft.yaml", encoding="utf-8"))
    args = DataArguments(**{k: v for k, v in settings.items() if k in DataArguments.__dataclass_fields__})
    print(f"llamafactory {llamafactory.__version__}: cutoff_len {args.cutoff_len}, dataset {args.dataset}, "
          f"eval_dataset {args.eval_dataset}")
    for name in [*args.dataset, *(args.eval_dataset or []), "reviewgpt_train"]:
        attr = get_dataset_list([name], args.dataset_dir)[0]
        path = f"{exports}/{attr.dataset_name}"
        with open(path, encoding="utf-8") as fh:
            rows = json.load(fh) if path.endswith(".json") else [json.loads(line) for line in fh]
        converted = get_dataset_converter(attr.formatting, attr, args)(rows[0])
        print(f"{name}: {attr.dataset_name} ({attr.formatting}), {len(rows)} rows; first -> "
              f"{[m['role'] for m in converted['_prompt']]} + {[m['role'] for m in converted['_response']]}")


if __name__ == "__main__":
    main(sys.argv[1])
