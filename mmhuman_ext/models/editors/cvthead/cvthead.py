"""CVTHead: one-shot controllable head avatar from a FLAME mesh with
point-based neural rendering (Ma et al., WACV 2024; thesis Ch. 4).

The editor owns the frozen FLAME layer and the two trainable networks
(``generator``, ``discriminator``) and trains them GAN-style: one generator
step, then one discriminator step per iteration (``train_step``), in two
stages (``docs/cvthead.md``, recipes):

* stage 1: L1 + VGG + identity + Dice; losses composite prediction and
  target with the *predicted* (detached) mask over a random colour; the
  discriminator is trained alongside but the generator ignores it;
* stage 2: all of stage 1 with the *ground-truth* mask, plus the hinge
  adversarial term and discriminator feature matching.

Inputs (``data['inputs']``, a dict batched by ``default_collate``):

=============  ===================  ======================================
key            shape                meaning
=============  ===================  ======================================
``src_img``    (B, 3, H, W)         source image in [-1, 1]
``src_mask``   (B, 1, H, W)         source foreground in {0, 1}
``drv_img``    (B, 3, H, W)         driving image / target (training, eval)
``drv_mask``   (B, 1, H, W)         driving foreground (training, eval)
``src_codes``  dict                 ``shape (B,100) exp (B,50) pose (B,6)
                                    cam (B,3) tform (B,3,3)``
``drv_codes``  dict                 same keys; ``shape`` is ignored: the
                                    source shape drives both meshes
=============  ===================  ======================================

``tform`` maps pixels of the original ``frame_size`` frame into the 224 DECA
crop; for cross-identity pairs the dataset puts the *source* ``tform`` into
``drv_codes`` (the official code's convention). FLAME, the hair and shoulder
deformation and the projection run without gradient.

Mesh (Eq. 4.3): ``V^s = FLAME(beta^s, phi^s, theta^s) + f_H(I^s)`` and
``V^d = FLAME(beta^s, phi^d, theta^d) + f_H(I^s)``, where ``f_H``
(``hair_deformer``, optional) is ROME's frozen linear hair/shoulder model.
The main configs switch it on; the "w/o D." ablation (thesis Table 4.3)
leaves it out.
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModel
from torch import Tensor

from mmhuman_ext.geometry.ortho_crop import project_to_image
from mmhuman_ext.registry import MODELS
from ..gan_step import update_discriminator
from ..state_dict_hooks import unwrapped_child_keys

CODE_KEYS = ('shape', 'exp', 'pose', 'cam', 'tform')


def composite(img: Tensor, mask: Tensor, bg: Tensor) -> Tensor:
    """``2 (((img + 1) / 2) m + bg (1 - m)) - 1``: images in [-1, 1]
    ``(B, 3, H, W)``, mask ``(B, 1, H, W)``, colour ``bg (B, 3, 1, 1)`` in
    [0, 1]."""
    return 2 * (((img + 1) / 2) * mask + bg * (1 - mask)) - 1


@MODELS.register_module()
class CVTHead(BaseModel):
    """Args:
        generator (dict): ``CVTHeadGenerator``.
        flame (dict): ``FLAMELayer``.
        discriminator (dict, optional): ``FeaturePatchDiscriminator``.
        hair_deformer (dict, optional): ``LinearHairDeformer`` (frozen
            ``f_H``); None leaves the FLAME vertices as they are.
        stage (int): 1 or 2 (module docstring).
        loss_l1 (dict): masked L1 (``mmagic.L1Loss``, weight = mask).
        loss_vgg, loss_id, loss_seg (dict, optional): ``VGG19PerceptualLoss``,
            ``FaceIdentityLoss``, ``CVTDiceLoss``; None leaves a term out.
        loss_gan (dict, optional): ``mmagic.GANLoss`` (hinge); its
            ``loss_weight`` is the generator's adversarial weight (0.01).
        loss_fm (dict, optional): ``DiscFeatureMatchingLoss`` (0.1).
        frame_size (tuple[int, int]): ``(H, W)`` of the frames that the crop
            transforms refer to (256 for VoxCeleb), independent of the
            network resolution.
        crop_size (int): DECA crop side (224).
        data_preprocessor (dict, optional): defaults to mmengine's
            ``BaseDataPreprocessor`` (moves tensors; images are already in
            [-1, 1]).
        dummy_cached_source (bool): :meth:`dummy_inputs` includes the
            source descriptors, so ``forward(mode='tensor')`` times the
            driving-only path (FLAME, projection, splat, U-Net). Only for
            ``tools/analysis/benchmark.py``.

    ``inputs['src_descriptors'] (B, N, C)``, when given, replaces the source
    branch (an avatar encoded once); ``inputs['src_vertex_offsets']
    (B, N, 3)`` then holds the avatar's ``f_H`` offsets (computed from
    ``src_img`` when absent).
    """

    def __init__(self, generator: dict, flame: dict,
                 discriminator: Optional[dict] = None,
                 hair_deformer: Optional[dict] = None, stage: int = 1,
                 loss_l1: Optional[dict] = None,
                 loss_vgg: Optional[dict] = None,
                 loss_id: Optional[dict] = None,
                 loss_seg: Optional[dict] = None,
                 loss_gan: Optional[dict] = None,
                 loss_fm: Optional[dict] = None,
                 frame_size: Tuple[int, int] = (256, 256),
                 crop_size: int = 224,
                 data_preprocessor: Optional[dict] = None,
                 dummy_cached_source: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.dummy_cached_source = dummy_cached_source
        if stage not in (1, 2):
            raise ValueError(f'stage must be 1 or 2, got {stage}')
        self.stage = stage
        self.generator = MODELS.build(generator)
        self.discriminator = (MODELS.build(discriminator)
                              if discriminator else None)
        # plain generator.* keys under MMSeparateDistributedDataParallel
        self._register_state_dict_hook(unwrapped_child_keys)
        self.flame = MODELS.build(flame)
        if self.flame.num_vertices != self.generator.num_vertices:
            raise ValueError(
                f'FLAME model has {self.flame.num_vertices} vertices, the '
                f'mesh hierarchy {self.generator.num_vertices}')
        # frozen, outside ``generator`` so no optimizer or DDP wrapper sees it
        self.hair_deformer = (MODELS.build(hair_deformer)
                              if hair_deformer else None)
        if self.hair_deformer is not None and \
                self.hair_deformer.num_vertices != self.flame.num_vertices:
            raise ValueError(
                f'hair deformation model has {self.hair_deformer.num_vertices}'
                f' vertices, the FLAME model {self.flame.num_vertices}')
        self.frame_size = tuple(frame_size)
        self.crop_size = crop_size
        build = (lambda c: MODELS.build(c) if c else None)
        self.loss_l1 = build(loss_l1)
        self.loss_vgg = build(loss_vgg)
        self.loss_id = build(loss_id)
        self.loss_seg = build(loss_seg)
        self.loss_gan = build(loss_gan)
        self.loss_fm = build(loss_fm)
        if stage == 2 and (self.discriminator is None
                           or self.loss_gan is None):
            raise ValueError('stage 2 needs a discriminator and loss_gan')

    # ------------------------------------------------------------------ mesh
    def _check_codes(self, codes: Dict[str, Tensor], which: str,
                     batch: int) -> None:
        if not isinstance(codes, dict):
            raise ValueError(f'{which}: expected a dict of FLAME codes '
                             f'{list(CODE_KEYS)}, got {type(codes).__name__}')
        expect = dict(shape=(self.flame.n_shape, ), exp=(self.flame.n_exp, ),
                      pose=(6, ), cam=(3, ), tform=(3, 3))
        for key, tail in expect.items():
            if which == 'drv_codes' and key == 'shape':
                continue
            if key not in codes:
                raise ValueError(f'{which}: missing FLAME code {key!r} '
                                 f'(expected {list(CODE_KEYS)})')
            t = codes[key]
            if tuple(t.shape) != (batch, *tail):
                raise ValueError(f'{which}[{key!r}] has shape '
                                 f'{tuple(t.shape)}, expected '
                                 f'{(batch, *tail)}')
            if not torch.isfinite(t).all():
                bad = (~torch.isfinite(t.flatten(1))).any(1).nonzero()
                raise ValueError(f'{which}[{key!r}]: non-finite values for '
                                 f'sample(s) {bad.flatten().tolist()}; the '
                                 'image has no usable mesh codes (face not '
                                 'detected?)')

    @torch.no_grad()
    def vertex_offsets(self, src_img: Tensor) -> Optional[Tensor]:
        """``f_H(I^s)``: ``(B, N, 3)`` hair/shoulder offsets of source
        images ``(B, 3, H, W)``, or None without a hair deformer."""
        if self.hair_deformer is None:
            return None
        return self.hair_deformer(src_img)

    @torch.no_grad()
    def mesh_points(self, shape: Tensor, codes: Dict[str, Tensor],
                    offsets: Optional[Tensor] = None) -> Tensor:
        """FLAME(shape, codes['exp'], codes['pose']) plus ``offsets``
        ``(B, N, 3)`` (world units, after skinning), projected with
        ``codes['cam']`` and ``codes['tform']``: ``(B, N, 3)``
        ``(u, v, d)``."""
        verts = self.flame(shape, codes['exp'], codes['pose'])
        if offsets is not None:
            verts = verts + offsets.to(verts)
        return project_to_image(verts, codes['cam'].to(verts),
                                codes['tform'].to(verts), self.frame_size,
                                self.crop_size)

    def _points(self, inputs: dict) -> Tuple[Tensor, Tensor]:
        b = inputs['src_img'].shape[0]
        self._check_codes(inputs['src_codes'], 'src_codes', b)
        self._check_codes(inputs['drv_codes'], 'drv_codes', b)
        shape = inputs['src_codes']['shape']
        offsets = inputs.get('src_vertex_offsets')
        if offsets is None:
            offsets = self.vertex_offsets(inputs['src_img'])
        return (self.mesh_points(shape, inputs['src_codes'], offsets),
                self.mesh_points(shape, inputs['drv_codes'], offsets))

    # -------------------------------------------------------------- forward
    def forward(self, inputs: dict, data_samples=None, mode: str = 'tensor'):
        """``mode='tensor'``: ``(rgb (B,3,H,W), mask (B,1,H,W))``;
        ``'predict'``: one dict per sample (:meth:`predict`); ``'loss'``:
        the generator losses of the current stage."""
        if mode == 'loss':
            return self.generator_losses(inputs)[1]
        if 'src_descriptors' in inputs:
            # cached avatar: only the driven mesh is needed
            b = inputs['src_descriptors'].shape[0]
            self._check_codes(inputs['src_codes'], 'src_codes', b)
            self._check_codes(inputs['drv_codes'], 'drv_codes', b)
            offsets = inputs.get('src_vertex_offsets')
            if offsets is None:
                offsets = self.vertex_offsets(inputs['src_img'])
            drv_pts = self.mesh_points(inputs['src_codes']['shape'],
                                       inputs['drv_codes'], offsets)
            out = self.generator.render(inputs['src_descriptors'], drv_pts)
        else:
            src_pts, drv_pts = self._points(inputs)
            out = self.generator(inputs['src_img'], inputs['src_mask'],
                                 src_pts, drv_pts)
        if mode == 'tensor':
            return out['rgb'], out['mask']
        if mode == 'predict':
            return self.predict(inputs, out, data_samples)
        raise ValueError(f'unknown mode {mode!r}')

    def predict(self, inputs: dict, out: Dict[str, Tensor],
                data_samples=None) -> List[dict]:
        """Per sample: ``pred_img (3,H,W)`` [-1,1], ``pred_mask (1,H,W)``,
        ``src_img``, ``gt_img``/``gt_mask`` when given, the driver's crop
        transform ``drv_tform (3, 3)`` and ``frame_size``, and the sample's
        metadata (``data_samples``, a dict of batched fields)."""
        results = []
        for i in range(out['rgb'].shape[0]):
            res = dict(pred_img=out['rgb'][i].detach().cpu(),
                       pred_mask=out['mask'][i].detach().cpu(),
                       src_img=inputs['src_img'][i].detach().cpu())
            if 'drv_img' in inputs:
                res['gt_img'] = inputs['drv_img'][i].detach().cpu()
                res['gt_mask'] = inputs['drv_mask'][i].detach().cpu()
            res['drv_tform'] = inputs['drv_codes']['tform'][i].cpu()
            res['frame_size'] = self.frame_size
            for key, value in (data_samples or {}).items():
                res[key] = value[i]
            results.append(res)
        return results

    # ------------------------------------------------------------- training
    def generator_losses(self, inputs: dict
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """Generator forward and the losses of the current stage."""
        src_pts, drv_pts = self._points(inputs)
        out = self.generator(inputs['src_img'], inputs['src_mask'], src_pts,
                             drv_pts)
        gt, gt_mask = inputs['drv_img'], inputs['drv_mask']
        mask = out['mask'].detach() if self.stage == 1 else gt_mask
        bg = torch.rand(gt.shape[0], 3, 1, 1, device=gt.device)
        pred_c, gt_c = composite(out['rgb'], mask, bg), composite(gt, mask,
                                                                  bg)
        losses = {}
        if self.loss_l1 is not None:
            losses['loss_l1'] = self.loss_l1(pred_c, gt_c, weight=mask)
        if self.loss_vgg is not None:
            losses['loss_vgg'] = self.loss_vgg(pred_c, gt_c)
        if self.loss_id is not None:
            losses['loss_id'] = self.loss_id(pred_c, gt_c)
        if self.loss_seg is not None:
            losses['loss_seg'] = self.loss_seg(out['mask'], gt_mask)
        if self.stage == 2:
            self.discriminator.requires_grad_(False)
            fake_feats, fake_score = self.discriminator(pred_c)
            losses['loss_gan_g'] = self.loss_gan(fake_score, True,
                                                 is_disc=False)
            if self.loss_fm is not None:
                with torch.no_grad():
                    real_feats, _ = self.discriminator(gt_c)
                losses['loss_fm'] = self.loss_fm(fake_feats, real_feats)
            self.discriminator.requires_grad_(True)
        return out, losses

    def discriminator_losses(self, inputs: dict, fake_rgb: Tensor
                             ) -> Dict[str, Tensor]:
        """Hinge losses of D on real and (detached) fake images composited
        with the ground-truth mask over a fresh random colour."""
        gt, gt_mask = inputs['drv_img'], inputs['drv_mask']
        bg = torch.rand(gt.shape[0], 3, 1, 1, device=gt.device)
        _, real = self.discriminator(composite(gt, gt_mask, bg))
        _, fake = self.discriminator(composite(fake_rgb.detach(), gt_mask,
                                               bg))
        return dict(loss_d_real=self.loss_gan(real, True, is_disc=True),
                    loss_d_fake=self.loss_gan(fake, False, is_disc=True))

    def train_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """One generator step, then one discriminator step (both stages)."""
        data = self.data_preprocessor(data, True)
        inputs = data['inputs']
        g_optim = optim_wrapper['generator']
        with g_optim.optim_context(self.generator):
            out, losses = self.generator_losses(inputs)
        loss, log_vars = self.parse_losses(losses)
        g_optim.update_params(loss)
        if self.discriminator is not None and self.loss_gan is not None:
            log_vars.update(update_discriminator(
                self, optim_wrapper,
                lambda: self.discriminator_losses(inputs, out['rgb'])))
        return log_vars

    # ---------------------------------------------------- benchmark inputs
    def dummy_inputs(self, batch_size: int = 1) -> dict:
        """Random images and codes of a frontal head at the network
        resolution, for ``forward(**dummy_inputs(b), mode='tensor')``."""
        h, w = self.generator.rasterizer.image_size
        device = next(self.generator.parameters()).device
        gen = torch.Generator().manual_seed(0)

        def codes():
            pose = torch.zeros(batch_size, 6)
            pose[:, 3] = 0.1
            tform = torch.eye(3).repeat(batch_size, 1, 1)
            tform[:, :2] *= self.crop_size / self.frame_size[0]
            tform[:, 2, 2] = 1
            return dict(
                shape=torch.randn(batch_size, self.flame.n_shape,
                                  generator=gen) * 0.5,
                exp=torch.randn(batch_size, self.flame.n_exp,
                                generator=gen) * 0.5,
                pose=pose, cam=torch.tensor([[8., 0., 0.]]).repeat(
                    batch_size, 1), tform=tform)

        inputs = dict(
            src_img=torch.rand(batch_size, 3, h, w, generator=gen) * 2 - 1,
            src_mask=torch.ones(batch_size, 1, h, w),
            src_codes=codes(), drv_codes=codes())
        inputs = _to_device(inputs, device)
        if self.dummy_cached_source:
            with torch.no_grad():
                offsets = self.vertex_offsets(inputs['src_img'])
                src_pts = self.mesh_points(inputs['src_codes']['shape'],
                                           inputs['src_codes'], offsets)
                inputs['src_descriptors'] = self.generator.encode_source(
                    inputs['src_img'], inputs['src_mask'], src_pts)
                if offsets is not None:
                    inputs['src_vertex_offsets'] = offsets
        return dict(inputs=inputs)


def _to_device(value, device):
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    return value
