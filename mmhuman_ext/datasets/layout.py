"""Check a config's dataset files before a run and explain what is missing.

Every real benchmark the project reads has an entry in :data:`DATA_LAYOUTS`:
the on-disk layout it expects and how to prepare it. A missing ``data_root``,
annotation file, image folder or detection file then fails at once with one
message naming the file, the config field and that layout, instead of a bare
``FileNotFoundError`` deep inside a dataloader worker.

Built-in generated datasets register a writer in :data:`DATA_GENERATORS`;
:func:`check_dataset_files` runs it first, so the files exist before the
model is built (a model may read files of the data side, e.g. the stand-in
head model of CVTHead's demo, but never calls the data side itself).
"""
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator


@dataclass(frozen=True)
class DataLayout:
    """How a benchmark lies on disk and how to get it there."""
    tree: str
    prepare: str


DATA_LAYOUTS: Dict[str, DataLayout] = {}
#: dataset type -> ``write(dataset_cfg)`` that generates its data once
DATA_GENERATORS: Dict[str, Callable[[dict], object]] = {}


def register_layout(dataset_types: Iterable[str], layout: DataLayout) -> None:
    """Record ``layout`` for dataset classes named ``dataset_types``."""
    for name in dataset_types:
        DATA_LAYOUTS[name] = layout


register_layout(
    ['CocoDataset'],
    DataLayout(
        tree='data/coco/\n'
        '  annotations/person_keypoints_{train2017,val2017}.json\n'
        '  person_detection_results/'
        'COCO_val2017_detections_AP_H_56_person.json\n'
        '  train2017/*.jpg  val2017/*.jpg',
        prepare='images and annotations from cocodataset.org, detection '
        'results as in mmpose; see docs/data_preparation.md#coco'))
register_layout(
    ['MpiiDataset'],
    DataLayout(
        tree='data/mpii/\n'
        '  annotations/mpii_{train,val}.json  annotations/mpii_gt_val.mat\n'
        '  images/*.jpg',
        prepare='images from the MPII site, JSON annotations as in mmpose; '
        'see docs/data_preparation.md#mpii'))


def register_generator(dataset_types: Iterable[str],
                       write: Callable[[dict], object]) -> None:
    """Record the writer of a built-in dataset: ``write(dataset_cfg)``
    generates the data of that config once (re-used afterwards)."""
    for name in dataset_types:
        DATA_GENERATORS[name] = write


def _datasets(cfg) -> Iterator[dict]:
    """Yield the leaf dataset configs, unwrapping dataset wrappers."""
    if cfg is None:
        return
    if 'datasets' in cfg:
        for sub in cfg['datasets']:
            yield from _datasets(sub)
    elif 'dataset' in cfg:
        yield from _datasets(cfg['dataset'])
    else:
        yield cfg


def _join(root, path):
    return path if (not root or osp.isabs(path)) else osp.join(root, path)


def _split_datasets(cfg, splits) -> Iterator[tuple]:
    """``(split, leaf dataset config, type name)`` of ``splits``."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for ds in _datasets(loader.get('dataset')):
            yield split, ds, str(ds.get('type', '')).split('.')[-1]


def generate_builtin_data(cfg, splits=('train', 'val', 'test')) -> None:
    """Write the built-in datasets of the config's ``{split}_dataloader``
    once (a model may read their files, e.g. the stand-in head model)."""
    for _, ds, type_name in _split_datasets(cfg, splits):
        if type_name in DATA_GENERATORS:
            DATA_GENERATORS[type_name](ds)


def check_dataset_files(cfg, splits=('train', 'val', 'test')) -> None:
    """Generate the built-in datasets of the config (once), then raise
    ``FileNotFoundError`` naming the first missing dataset file.

    Args:
        cfg (Config): a full run config.
        splits (tuple[str]): which ``{split}_dataloader`` to check.
    """
    generate_builtin_data(cfg, splits)
    for split, ds, type_name in _split_datasets(cfg, splits):
        layout = DATA_LAYOUTS.get(type_name)
        if layout is None:
            continue
        root = ds.get('data_root', '')
        files = [('data_root', root)] if root else []
        if ds.get('ann_file'):
            files.append(('ann_file', _join(root, ds['ann_file'])))
        for key, sub in (ds.get('data_prefix') or {}).items():
            if sub:
                files.append((f'data_prefix.{key}', _join(root, sub)))
        if ds.get('bbox_file'):
            files.append(('bbox_file', ds['bbox_file']))
        for field, path in files:
            if not osp.exists(path):
                raise FileNotFoundError(
                    f'{split}_dataloader.dataset.{field} = {path!r} does '
                    f'not exist ({type_name}). Expected layout:\n'
                    f'{layout.tree}\nTo prepare it: {layout.prepare}')
