"""ORFNT: one-shot human motion transfer with occlusion-robust flow and
DensePose neural texturing (Ji, Zheng, Cham, IEEE T-MM 2024).

:class:`ORFNTGenerator` holds the four networks (MotionNet, the multi-scale
warping generator, the neural texture branch, BlenderNet) and runs what a
training stage needs; :class:`ORFNTMotionTransfer` is the trainable editor:
data preprocessing, stage-wise freezing, losses, one discriminator step then
one generator step per iteration, prediction and the inference API
(:meth:`ORFNTMotionTransfer.animate`). Design decisions (stage contents,
loss-weight mapping, units) are listed in ``docs/motion_transfer.md``.

Training stages (``train_stage``):

==============  ==========================================  ==================
stage           trainable                                   losses
==============  ==========================================  ==================
``geometry``    texture branch, MotionNet encoder + signal  UV, CE, masked L1,
                heads                                       BCE(M_nt)
``warping``     MotionNet, warping generator                flow, pyramid
                                                            perceptual / L1 /
                                                            BCE on I_2D, UV, CE
``joint``       everything but the SR block (output at the  all, GAN at the
                input size)                                 input size
``blender_sr``  BlenderNet with its SR block                perceptual, L1,
                                                            BCE, GAN on I
``e2e``         everything (256 -> 256 model)               all
==============  ==========================================  ==================
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from mmhuman_ext.models.layers.flow_warp import warp_by_flow
from mmhuman_ext.registry import MODELS
from ..gan_step import update_discriminator
from ..state_dict_hooks import unwrapped_child_keys
from .densepose_encoding import encode_iuv_parts

STAGES = ('geometry', 'warping', 'joint', 'blender_sr', 'e2e')
# loss groups of each stage
STAGE_TERMS = dict(
    geometry={'dp', 'ml1', 'bce_nt'},
    warping={'flow', 'img_2d', 'dp'},
    joint={'flow', 'dp', 'ml1', 'bce_nt', 'img_2d', 'img_final', 'gan'},
    blender_sr={'img_final', 'gan'},
    e2e={'flow', 'dp', 'ml1', 'bce_nt', 'img_2d', 'img_final', 'gan'})
LOSS_KEYS = ('corr', 'flow_sup', 'aff', 'tv', 'cons', 'uv', 'seg', 'ml1',
             'per', 'rec', 'bce', 'gan')


class ORFNTGenerator(nn.Module):
    """MotionNet + warping generator + texture branch + BlenderNet.

    Args:
        motion_net (nn.Module): ``DensePoseFlowNet``.
        blender (nn.Module): ``BlenderNet``.
        warp_generator (nn.Module, optional): None = no 2D warping branch.
        texture_branch (nn.Module, optional): None = no neural texture branch.
    """

    def __init__(self, motion_net: nn.Module, blender: nn.Module,
                 warp_generator: Optional[nn.Module] = None,
                 texture_branch: Optional[nn.Module] = None):
        super().__init__()
        self.motion_net = motion_net
        self.warp_generator = warp_generator
        self.texture_branch = texture_branch
        self.blender = blender

    def encode_source(self, src_img: Tensor, src_dp: Tensor,
                      warp: bool = True) -> Dict[str, object]:
        """Source-only features (computed once per source image):
        ``warp`` = ``E_s`` pyramid (unless ``warp=False``), ``texture`` =
        ``E_a``/``E_g`` codes."""
        cache = {}
        if warp and self.warp_generator is not None:
            cache['warp'] = self.warp_generator.encode(src_img)
        if self.texture_branch is not None:
            cache['texture'] = self.texture_branch.encode_source(
                torch.cat([src_img, src_dp], 1))
        return cache

    def forward(self, src_img: Tensor, src_dp: Tensor, drv_dp: Tensor,
                run_warp: bool = True, run_blender: bool = True,
                use_sr: bool = True,
                source_cache: Optional[Dict[str, object]] = None
                ) -> Dict[str, object]:
        """Inputs at the network size ``(B, 3, H, W)`` in [-1, 1] and part
        encodings ``(B, 3K, H, W)``.

        Returns a dict with ``tex_signal``/``geo_signal``; with the warping
        branch run: ``flows``, ``occlusions`` and ``warp`` (``feature``,
        ``image``, ``mask``); with the texture branch: ``texture`` (see
        ``NeuralTextureBranch``); with ``run_blender``: ``image (B, 3, sH,
        sW)`` and ``mask (B, 1, sH, sW)``.
        """
        run_warp = run_warp and self.warp_generator is not None
        if source_cache is None:
            source_cache = self.encode_source(src_img, src_dp, run_warp)
        out = self.motion_net(torch.cat([src_img, src_dp, drv_dp], 1),
                              decode=run_warp)
        feats = []
        if run_warp:
            out['warp'] = self.warp_generator(source_cache['warp'],
                                              out['flows'],
                                              out['occlusions'])
            feats.append(out['warp']['feature'])
        if self.texture_branch is not None:
            out['texture'] = self.texture_branch(source_cache['texture'],
                                                 out['tex_signal'],
                                                 out['geo_signal'])
            feats.append(out['texture']['feature'])
        if run_blender:
            out.update(self.blender(torch.cat(feats, 1), use_sr=use_sr))
        return out


@MODELS.register_module()
class ORFNTMotionTransfer(BaseModel):
    """Args:
        motion_net, blender (dict): ``DensePoseFlowNet``, ``BlenderNet``
            (``blender.in_channels`` may be left out: it is set from the
            branches in use).
        warp_generator (dict): ``MultiScaleWarpingGenerator``.
        texture_branch (dict): ``NeuralTextureBranch``.
        discriminator (dict, optional): ``ResNetPatchDiscriminator``.
        train_stage (str): one of ``STAGES`` (module docstring).
        use_warp_branch (bool): False drops the 2D warping branch (ablation
            "2.5D baseline + BlenderNet").
        use_texture_branch (bool): False drops the neural texture branch
            (ablation "2D + MotionNet + BlenderNet").
        vgg (dict, optional): ``VGG19FeatureExtractor`` shared by the
            perceptual and perceptual-correctness losses.
        loss_cfg (dict): loss configs under the keys ``corr, aff, tv, cons``
            (flow), ``flow_sup`` (``DensePoseFlowSupervisionLoss``: flows
            against the DensePose correspondence, the CPU demo's stand-in
            for ``corr``; needs the ``DensePoseCorrespondenceFlow`` pipeline
            step), ``uv, seg`` (DensePose), ``ml1`` (masked L1 of the
            texture render), ``per`` (pyramid perceptual), ``rec``
            (``mmagic.L1Loss``), ``bce`` (masks), ``gan``
            (``mmagic.GANLoss``, LSGAN); a missing or None entry turns the
            term off.
        data_preprocessor (dict): ``MotionTransferDataPreprocessor``; its
            ``out_size`` is derived here (:attr:`out_size`) and best left
            out (a value that disagrees is an error).
    """

    def __init__(self, motion_net: dict, blender: dict,
                 warp_generator: Optional[dict] = None,
                 texture_branch: Optional[dict] = None,
                 discriminator: Optional[dict] = None,
                 train_stage: str = 'joint', use_warp_branch: bool = True,
                 use_texture_branch: bool = True,
                 vgg: Optional[dict] = None,
                 loss_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='MotionTransferDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if train_stage not in STAGES:
            raise ValueError(f'train_stage must be one of {STAGES}, got '
                             f'{train_stage!r}')
        if not (use_warp_branch or use_texture_branch):
            raise ValueError('use_warp_branch and use_texture_branch cannot '
                             'both be False')
        warp = (MODELS.build(warp_generator)
                if use_warp_branch and warp_generator else None)
        texture = (MODELS.build(texture_branch)
                   if use_texture_branch and texture_branch else None)
        if use_warp_branch and warp is None:
            raise ValueError('use_warp_branch=True needs warp_generator')
        if use_texture_branch and texture is None:
            raise ValueError('use_texture_branch=True needs texture_branch')
        fused = sum(m.out_channels for m in (warp, texture) if m is not None)
        blender = dict(blender)
        if blender.setdefault('in_channels', fused) != fused:
            raise ValueError(
                f'blender.in_channels={blender["in_channels"]} but the '
                f'branches in use give {fused} channels (warping: '
                f'{warp.out_channels if warp else 0}, texture: '
                f'{texture.out_channels if texture else 0})')
        self.generator = ORFNTGenerator(
            MODELS.build(motion_net), MODELS.build(blender), warp, texture)
        self._set_output_size()
        self.discriminator = (MODELS.build(discriminator)
                              if discriminator else None)
        loss_cfg = dict(loss_cfg or {})
        unknown = set(loss_cfg) - set(LOSS_KEYS)
        if unknown:
            raise ValueError(f'unknown loss_cfg keys {sorted(unknown)}; '
                             f'expected a subset of {LOSS_KEYS}')
        self.losses = nn.ModuleDict({
            k: MODELS.build(c) for k, c in loss_cfg.items() if c})
        needs_vgg = 'corr' in self.losses or 'per' in self.losses
        if needs_vgg and vgg is None:
            raise ValueError('the corr / per losses need model.vgg (a '
                             'VGG19FeatureExtractor config)')
        self.vgg = MODELS.build(vgg) if needs_vgg else None
        self.train_stage = train_stage
        self._check_stage()
        self.set_train_stage(train_stage)
        self._register_state_dict_hook(unwrapped_child_keys)

    @property
    def out_size(self) -> int:
        """Output side: network input side x BlenderNet's upscale (the
        size of the predicted frames and of their ground truth)."""
        return (self.data_preprocessor.in_size *
                self.generator.blender.upscale)

    def _set_output_size(self):
        """Give the data preprocessor the output size (it resizes the
        ground truth to it); a configured value must agree."""
        pre, size = self.data_preprocessor, self.out_size
        if pre.out_size is not None and pre.out_size != size:
            raise ValueError(
                f'model.data_preprocessor.out_size={pre.out_size} disagrees '
                f'with the output size {size} = '
                f'model.data_preprocessor.in_size ({pre.in_size}) x '
                f'model.blender.upscale '
                f'({self.generator.blender.upscale}); leave out_size out: '
                'the model derives it')
        pre.out_size = size

    # ---------------------------------------------------------- stages
    def _check_stage(self):
        g = self.generator
        if self.train_stage == 'geometry' and g.texture_branch is None:
            raise ValueError("train_stage='geometry' needs the texture branch")
        if self.train_stage == 'warping' and g.warp_generator is None:
            raise ValueError("train_stage='warping' needs the warping branch")

    def trainable_modules(self, stage: str) -> List[nn.Module]:
        """The generator modules trained in ``stage``."""
        g = self.generator
        mn = g.motion_net
        if stage == 'geometry':
            return [g.texture_branch, mn.enc0, mn.enc1, mn.enc2, mn.enc3,
                    mn.enc4, mn.tex_signal_head, mn.geo_signal_head]
        if stage == 'warping':
            return [mn, g.warp_generator]
        if stage == 'blender_sr':
            return [g.blender]
        return [g]

    def set_train_stage(self, stage: str) -> None:
        """Switch the stage and set ``requires_grad`` of the generator: only
        the stage's modules train (``joint`` also freezes the SR block)."""
        if stage not in STAGES:
            raise ValueError(f'train_stage must be one of {STAGES}, got '
                             f'{stage!r}')
        self.train_stage = stage
        self._check_stage()
        self.generator.requires_grad_(False)
        for module in self.trainable_modules(stage):
            if module is not None:
                module.requires_grad_(True)
        if stage == 'joint' and self.generator.blender.sr is not None:
            self.generator.blender.sr.requires_grad_(False)
        self.train(self.training)

    def train(self, mode: bool = True):
        """Networks frozen in the current stage stay in eval mode, so their
        BatchNorm statistics do not drift either."""
        super().train(mode)
        if mode:
            generator = getattr(self.generator, 'module', self.generator)
            for child in generator.children():
                if child is not None and not any(
                        p.requires_grad for p in child.parameters()):
                    child.eval()
        return self

    @property
    def terms(self) -> set:
        return STAGE_TERMS[self.train_stage]

    @property
    def use_sr(self) -> bool:
        """The SR block runs in every stage but ``joint``."""
        return self.train_stage != 'joint'

    # --------------------------------------------------------- forward
    def run_generator(self, inputs: Dict[str, Tensor],
                      source_cache=None) -> Dict[str, object]:
        """Generator forward for the current stage (preprocessed inputs)."""
        stage = self.train_stage
        return self.generator(
            inputs['src_img'], inputs['src_dp'], inputs['drv_dp'],
            run_warp=stage != 'geometry',
            run_blender=stage not in ('geometry', 'warping'),
            use_sr=self.use_sr, source_cache=source_cache)

    def forward(self, inputs: Dict[str, Tensor], data_samples=None,
                mode: str = 'tensor'):
        """``'tensor'``: ``(image (B,3,S,S), mask (B,1,S,S))`` of the full
        model; ``'predict'``: one ``BaseDataElement`` per sample;
        ``'loss'``: the generator losses of the current stage. ``S`` is the
        size the stage trains: the input size in ``joint`` (its SR block
        is untrained), the output size otherwise."""
        if mode == 'loss':
            return self.generator_losses(inputs, self.run_generator(inputs))
        out = self.generator(inputs['src_img'], inputs['src_dp'],
                             inputs['drv_dp'], use_sr=self.use_sr,
                             source_cache=inputs.get('source_cache'))
        if mode == 'tensor':
            return out['image'], out['mask']
        if mode == 'predict':
            return self.predict(inputs, out, data_samples)
        raise ValueError(f'unknown mode {mode!r}')

    def predict(self, inputs: Dict[str, Tensor], out: Dict[str, Tensor],
                data_samples=None) -> List[BaseDataElement]:
        """Per sample: ``pred_img (3, S, S)`` (in the ``joint`` stage the
        input-size output enlarged bilinearly to the output size ``S``),
        ``gt_img`` / ``src_img`` in [-1, 1], ``pred_mask (1, S, S)``,
        ``pred_iuv`` (the translated DensePose: part id, U, V of the most
        likely part) when the texture branch runs, and the input sample's
        metainfo. The branches at the input size ``s``, for evaluating them
        apart: ``pred_flow (2, s, s)`` (MotionNet's finest flow, normalised
        units), ``warp_img (3, s, s)`` (the source warped by it),
        ``warp_mask`` (the 2D branch's mask), ``tex_img`` / ``tex_mask``
        (the texture branch's render)."""
        image, mask = out['image'], out['mask']
        if 'drv_img_out' in inputs and not self.use_sr:
            # joint stage: trained (and predicted) at the input size, then
            # enlarged bilinearly to the data's output size for the metrics
            size = inputs['drv_img_out'].shape[-2:]
            image, mask = (F.interpolate(x, size=size, mode='bilinear',
                                         align_corners=False)
                           for x in (image, mask))
        size = image.shape[-1]
        gt = inputs.get('drv_img_out')
        if gt is not None and gt.shape[-1] != size:
            raise ValueError(
                f'the ground truth inputs["drv_img_out"] is {gt.shape[-1]} '
                f'px but the model output is {size} px; the data '
                'preprocessor resizes it to model.out_size')
        cpu = (lambda x: x.detach().cpu())
        src = F.interpolate(inputs['src_img'], size=(size, size),
                            mode='bilinear', align_corners=False)
        branches = {}
        if 'flows' in out:
            flow = out['flows'][-1]
            branches.update(pred_flow=flow, warp_img=warp_by_flow(
                inputs['src_img'], flow), warp_mask=out['warp']['mask'])
        if 'texture' in out:
            branches.update(tex_img=out['texture']['image'],
                            tex_mask=out['texture']['mask'])
        results = []
        for i in range(image.shape[0]):
            meta = {}
            if data_samples is not None:
                sample = data_samples[i]
                meta = dict(sample.metainfo) if hasattr(
                    sample, 'metainfo') else dict(sample)
            res = BaseDataElement(metainfo=meta)
            res.pred_img = cpu(image[i])
            res.pred_mask = cpu(mask[i])
            res.src_img = cpu(src[i])
            if 'drv_img_out' in inputs:
                res.gt_img = cpu(inputs['drv_img_out'][i])
            if 'texture' in out:
                res.pred_iuv = self.translated_iuv(out['texture'])[i].cpu()
            for key, value in branches.items():
                res.set_field(cpu(value[i]), key)
            results.append(res)
        return results

    @staticmethod
    def translated_iuv(texture: Dict[str, Tensor]) -> Tensor:
        """``(B, 3, H, W)`` IUV of the DensePose translator: the most likely
        class and the U, V of that part (0 on background)."""
        parts = texture['part_prob'].argmax(1, keepdim=True)
        index = (parts - 1).clamp(min=0)
        fg = (parts > 0).float()
        u = texture['u'].gather(1, index) * fg
        v = texture['v'].gather(1, index) * fg
        return torch.cat([parts.float(), u, v], 1).detach()

    # ------------------------------------------------------- inference
    def _raw_inputs(self, source_img: Tensor, source_iuv: Tensor,
                    driving_iuv: Tensor) -> Dict[str, Tensor]:
        device = next(self.generator.parameters()).device
        return self.data_preprocessor.encode_raw(
            source_img.to(device), source_iuv.to(device),
            driving_iuv.to(device))

    @torch.no_grad()
    def encode_source(self, source_img: Tensor, source_iuv: Tensor
                      ) -> Dict[str, object]:
        """Source features for :meth:`animate` ``(source_cache=...)``:
        encode a source image once, animate it with many driving frames.
        ``source_img (B, 3, H, W)`` in [-1, 1], ``source_iuv (B, 3, h, w)``;
        the cache also keeps the resized source and its part encoding."""
        x = self._raw_inputs(source_img, source_iuv, source_iuv)
        cache = self.generator.encode_source(x['src_img'], x['src_dp'])
        cache['src_img'], cache['src_dp'] = x['src_img'], x['src_dp']
        return cache

    @torch.no_grad()
    def animate(self, source_img: Tensor, source_iuv: Tensor,
                driving_iuv: Tensor, source_mask: Optional[Tensor] = None,
                source_cache: Optional[Dict[str, object]] = None
                ) -> Dict[str, Tensor]:
        """Animate ``source_img (B, 3, H, W)`` in [-1, 1] (any size; resized
        to the network input) to the poses of ``driving_iuv (B, 3, h, w)``
        (raw IUV: part id 0..24, U, V in [0, 1]) given ``source_iuv``.

        Returns ``fake (B, 3, S, S)`` in [-1, 1] and ``mask (B, 1, S, S)``
        (``S`` = :attr:`out_size`; the input size in the ``joint`` stage,
        whose SR block is untrained). ``source_mask`` is accepted for API
        symmetry; the model does not use it (masks only supervise
        training). ``source_cache`` from :meth:`encode_source` skips the
        source encoders (a batch of driving frames may share one source:
        the cache is broadcast).
        """
        del source_mask
        if source_cache is None:
            source_cache = self.encode_source(source_img, source_iuv)
        b = driving_iuv.shape[0]
        device = next(self.generator.parameters()).device
        drv_iuv = driving_iuv.to(device).float()
        drv_dp = self.data_preprocessor.prepare_iuv(
            drv_iuv, 'driving_iuv')['dp']
        cache = _expand_batch(source_cache, b)
        out = self.generator(cache.pop('src_img'), cache.pop('src_dp'),
                             drv_dp, use_sr=self.use_sr, source_cache=cache)
        return dict(fake=out['image'], mask=out['mask'])

    # -------------------------------------------------------- training
    def _target(self, inputs: Dict[str, Tensor], size: int, key: str):
        """Driving image / mask at ``size`` (in or out resolution)."""
        small, large = inputs.get(key), inputs.get(f'{key}_out')
        for t in (small, large):
            if t is not None and t.shape[-1] == size:
                return t
        raise ValueError(f'no inputs["{key}"] at size {size}; the packed '
                         'sample needs driving_img and driving_mask')

    def _adv_score(self, fake: Tensor) -> Tensor:
        """Discriminator score for the generator loss, without updating or
        accumulating gradients in the discriminator."""
        disc = getattr(self.discriminator, 'module', self.discriminator)
        params = [p for p in disc.parameters() if p.requires_grad]
        for p in params:
            p.requires_grad_(False)
        try:
            return disc(fake)
        finally:
            for p in params:
                p.requires_grad_(True)

    def generator_losses(self, inputs: Dict[str, Tensor],
                         out: Dict[str, object]) -> Dict[str, Tensor]:
        """The losses of the current stage."""
        terms, L, losses = self.terms, self.losses, {}
        drv = inputs['drv_img']
        drv_mask = inputs.get('drv_mask')
        if 'flow' in terms and 'flows' in out:
            flows = out['flows']
            if 'corr' in L:
                fs = self.vgg(inputs['src_img'])
                with torch.no_grad():
                    fd = self.vgg(drv)
                losses['loss_corr'] = L['corr'](flows, fs, fd)
            if 'flow_sup' in L:
                if 'flow_target' not in inputs:
                    raise ValueError(
                        'loss_cfg.flow_sup needs inputs["flow_target"] and '
                        '["flow_valid"]: add DensePoseCorrespondenceFlow to '
                        'the training pipeline (after PairedResize)')
                losses['loss_flow_sup'] = L['flow_sup'](
                    flows, inputs['flow_target'], inputs['flow_valid'])
            for key in ('aff', 'tv', 'cons'):
                if key in L:
                    losses[f'loss_{key}'] = L[key](flows)
        tex = out.get('texture')
        if tex is not None:
            if 'dp' in terms:
                if 'uv' in L:
                    losses['loss_uv'] = L['uv'](tex['u'], tex['v'],
                                                inputs['drv_iuv'])
                if 'seg' in L:
                    losses['loss_seg'] = L['seg'](tex['seg_logits'],
                                                  inputs['drv_iuv'])
            if 'ml1' in terms and 'ml1' in L:
                silhouette = (tex['part_prob'].argmax(1, keepdim=True)
                              != 0).float()
                losses['loss_ml1'] = L['ml1'](tex['image'], drv, silhouette)
            if 'bce_nt' in terms and 'bce' in L:
                losses['loss_bce_nt'] = L['bce'](tex['mask'], drv_mask)
        branches = []
        if 'img_2d' in terms and 'warp' in out:
            branches.append(('_2d', out['warp']))
        if 'img_final' in terms and 'image' in out:
            branches.append(('', out))
        for suffix, o in branches:
            size = o['image'].shape[-1]
            target = self._target(inputs, size, 'drv_img')
            if 'per' in L:
                losses[f'loss_per{suffix}'] = L['per'](o['image'], target,
                                                       self.vgg)
            if 'rec' in L:
                losses[f'loss_rec{suffix}'] = L['rec'](o['image'], target)
            if 'bce' in L:
                losses[f'loss_bce{suffix}'] = L['bce'](
                    o['mask'], self._target(inputs, size, 'drv_mask'))
        if self.gan_active and 'image' in out:
            losses['loss_gan_g'] = L['gan'](self._adv_score(out['image']),
                                            True, is_disc=False)
        return losses

    @property
    def gan_active(self) -> bool:
        return ('gan' in self.terms and 'gan' in self.losses
                and self.discriminator is not None)

    def discriminator_losses(self, real: Tensor, fake: Tensor
                             ) -> Dict[str, Tensor]:
        """LSGAN ``1/2 [E(D(real) - 1)^2 + E(D(fake)^2)]`` (fake detached)."""
        gan = self.losses['gan']
        return dict(
            loss_d_real=0.5 * gan(self.discriminator(real), True,
                                  is_disc=True),
            loss_d_fake=0.5 * gan(self.discriminator(fake.detach()), False,
                                  is_disc=True))

    def train_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """Generator forward, one discriminator step (stages with the GAN
        term), then one generator step."""
        data = self.data_preprocessor(data, True)
        inputs = data['inputs']
        g_optim = optim_wrapper['generator']
        with g_optim.optim_context(self.generator):
            out = self.run_generator(inputs)
        log_vars = {}
        if self.gan_active:
            real = self._target(inputs, out['image'].shape[-1], 'drv_img')
            log_vars.update(update_discriminator(
                self, optim_wrapper,
                lambda: self.discriminator_losses(real, out['image'])))
        with g_optim.optim_context(self.generator):
            losses = self.generator_losses(inputs, out)
        if not losses:
            raise RuntimeError(f'stage {self.train_stage!r} has no active '
                               'loss: check model.loss_cfg')
        g_loss, g_log = self.parse_losses(losses)
        g_optim.update_params(g_loss)
        log_vars.update(g_log)
        return log_vars

    # ---------------------------------------------------- benchmark inputs
    def dummy_inputs(self, batch_size: int = 1) -> dict:
        """Random preprocessed inputs at the network size, for
        ``forward(**dummy_inputs(b), mode='tensor')`` (benchmarks)."""
        pre = self.data_preprocessor
        size, k = pre.in_size, pre.num_parts
        device = next(self.generator.parameters()).device
        gen = torch.Generator().manual_seed(0)

        def iuv():
            parts = torch.randint(0, k + 1, (batch_size, 1, size, size),
                                  generator=gen).float()
            uv = torch.rand(batch_size, 2, size, size, generator=gen)
            return torch.cat([parts, uv], 1)

        inputs = dict(
            src_img=torch.rand(batch_size, 3, size, size, generator=gen) * 2
            - 1, src_dp=encode_iuv_parts(iuv(), k),
            drv_dp=encode_iuv_parts(iuv(), k))
        return dict(inputs={n: t.to(device) for n, t in inputs.items()})

    def parameter_breakdown(self) -> Dict[str, int]:
        """Parameters per generator network (and the discriminator)."""
        counts = {
            name: sum(p.numel() for p in module.parameters())
            for name, module in self.generator.named_children()
            if module is not None
        }
        counts['generator (total)'] = sum(counts.values())
        if self.discriminator is not None:
            counts['discriminator'] = sum(
                p.numel() for p in self.discriminator.parameters())
        return counts


def _expand_batch(cache: Dict[str, object], batch: int) -> Dict[str, object]:
    """Broadcast a batch-1 source cache to ``batch`` driving frames."""

    def expand(x):
        if isinstance(x, Tensor):
            if x.shape[0] == batch:
                return x
            if x.shape[0] != 1:
                raise ValueError(f'source batch {x.shape[0]} does not match '
                                 f'{batch} driving frames')
            return x.expand(batch, *x.shape[1:])
        if isinstance(x, dict):
            return {k: expand(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [expand(v) for v in x]
        return x

    return expand(cache)
