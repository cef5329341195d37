"""Registries of mmhuman_ext.

Each registry is a child of the matching mmpose registry, so a config with
``default_scope = 'mmhuman_ext'`` finds our components *and* mmpose's by bare
name (``HeatmapHead``, ``TopdownPoseEstimator``), and reaches mmdet / mmagic
components with their scope prefix (``mmdet.ResNet``, ``mmagic.GANLoss``).
``locations`` lists the modules imported on the first lookup: mmpose's own
modules come first because a child registry does not trigger its parent's
lazy import.

mmengine resolves a scope prefix (``mmhuman_ext.X``) only among the direct
children of the root registry, so each node is also linked there: that is what
lets an mmagic or mmdet config (``custom_imports=dict(imports=['mmhuman_ext'])``)
name our components. The node's parent stays mmpose's registry.
"""
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import Registry
from mmpose import registry as mmpose_registry


def _child(name, parent, *locations):
    registry = Registry(name, parent=parent, scope='mmhuman_ext',
                        locations=list(locations))
    root = parent
    while root.parent is not None:
        root = root.parent
    if registry.scope not in root.children:
        root._add_child(registry)
    return registry


RUNNERS = _child('runner', mmpose_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             mmpose_registry.RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', mmpose_registry.LOOPS)
HOOKS = _child('hook', mmpose_registry.HOOKS, 'mmpose.engine.hooks',
               'mmhuman_ext.engine.hooks')

DATASETS = _child('dataset', mmpose_registry.DATASETS, 'mmpose.datasets',
                  'mmhuman_ext.datasets')
DATA_SAMPLERS = _child('data sampler', mmpose_registry.DATA_SAMPLERS,
                       'mmpose.datasets.samplers')
TRANSFORMS = _child('transform', mmpose_registry.TRANSFORMS,
                    'mmpose.datasets.transforms',
                    'mmhuman_ext.datasets.transforms')

MODELS = _child('model', mmpose_registry.MODELS, 'mmpose.models',
                'mmhuman_ext.models')
MODEL_WRAPPERS = _child('model_wrapper', mmpose_registry.MODEL_WRAPPERS,
                        'mmpose.models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             mmpose_registry.WEIGHT_INITIALIZERS,
                             'mmpose.models')

OPTIMIZERS = _child('optimizer', mmpose_registry.OPTIMIZERS, 'mmpose.engine')
OPTIM_WRAPPERS = _child('optimizer_wrapper', mmpose_registry.OPTIM_WRAPPERS,
                        'mmpose.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor',
    mmpose_registry.OPTIM_WRAPPER_CONSTRUCTORS, 'mmpose.engine.optim_wrappers')
PARAM_SCHEDULERS = _child('parameter scheduler',
                          mmpose_registry.PARAM_SCHEDULERS,
                          'mmpose.engine.schedulers')

METRICS = _child('metric', mmpose_registry.METRICS,
                 'mmpose.evaluation.metrics', 'mmhuman_ext.evaluation.metrics')
EVALUATORS = _child('evaluator', mmpose_registry.EVALUATORS,
                    'mmpose.evaluation.evaluators')

TASK_UTILS = _child('task util', mmpose_registry.TASK_UTILS,
                    'mmpose.models.task_modules')

VISUALIZERS = _child('visualizer', mmpose_registry.VISUALIZERS,
                     'mmpose.visualization')
VISBACKENDS = _child('vis_backend', mmpose_registry.VISBACKENDS,
                     'mmpose.visualization')
LOG_PROCESSORS = _child('log processor', mmpose_registry.LOG_PROCESSORS,
                        'mmpose.visualization')

KEYPOINT_CODECS = _child('keypoint codec', mmpose_registry.KEYPOINT_CODECS,
                         'mmpose.codecs', 'mmhuman_ext.codecs')
INFERENCERS = _child('inferencer', mmpose_registry.INFERENCERS,
                     'mmhuman_ext.apis.inferencers')
# mmengine's inferencers look up ``test_dataloader.collate_fn`` in the
# function registry of their scope (mmpose has none of its own)
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS)
