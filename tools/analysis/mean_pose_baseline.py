"""MPJPE of predicting one fixed pose: the training set's mean.

    python tools/analysis/mean_pose_baseline.py CONFIG

Builds the config's train and test datasets (windowed 3D lifting datasets,
e.g. ``H36MVideoPose3DDataset`` / ``SyntheticH36MDataset``), averages the
root-relative centre-frame 3D pose over the training windows and reports
the test set's MPJPE / P-MPJPE of always predicting it (per action and
averaged over actions, like the P-STMO evaluation). A trained lifter must
end far below this figure.
"""
import argparse

from mmengine.config import Config

from mmhuman_ext.registry import DATASETS, METRICS
from mmhuman_ext.utils import register_all_modules


def centre_poses(dataset_cfg: dict, root_index: int) -> tuple:
    cfg = dict(dataset_cfg, pipeline=[], flip_mode='none')
    dataset = DATASETS.build(cfg)
    poses = dataset.centre_poses()
    names = [
        dataset.get_data_info(i)['target_img_path'][0]
        for i in range(len(poses))
    ]
    return poses - poses[:, root_index:root_index + 1], poses, names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--root-index', type=int, default=0)
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    train_rel, _, _ = centre_poses(cfg.train_dataloader.dataset,
                                   args.root_index)
    mean = train_rel.mean(axis=0)
    _, test_abs, names = centre_poses(cfg.test_dataloader.dataset,
                                      args.root_index)
    print(f'mean pose of {len(train_rel)} training windows; '
          f'{len(test_abs)} test windows')
    for mode in ('mpjpe', 'p-mpjpe'):
        metric = METRICS.build(
            dict(
                type='H36MProtocolMPJPE',
                mode=mode,
                root_index=args.root_index))
        pred = mean + test_abs[:, args.root_index:args.root_index + 1]
        metric.process({}, [
            dict(
                pred_instances=dict(keypoints=p[None]),
                gt_instances=dict(lifting_target=g[None]),
                target_img_path=[n]) for p, g, n in zip(pred, test_abs, names)
        ])
        res = metric.evaluate(len(names))
        name = mode.upper()
        print(f"{name}: {res[f'h36m/{name}_action_mean']:.1f} mm "
              f"(action mean), {res[f'h36m/{name}_frame_mean']:.1f} mm "
              '(frame mean)')


if __name__ == '__main__':
    main()
