# Cross-identity test of the stage-2 model (thesis Table 4.2): one pair per
# test video, the driver a random frame of another subject (fixed seed), the
# driver's crop transform replaced by the source's; FID against the source
# frames and CSIM (spec §5.2). Use with tools/test.py and the stage-2
# checkpoint.
_base_ = ['./cvthead-s2_2xb8-20e_vox1-256x256.py']

test_dataloader = dict(
    dataset=dict(mode='cross_test', cross_seed=0))
test_evaluator = dict(
    _delete_=True,
    type='CrossReenactMetric',
    inception_ckpt='data/pretrained/inception_v3_google-0cc3c7bd.pth',
    id_embedder=dict(
        type='FaceIdentityLoss',
        ckpt={{_base_.pretrained.vggface2}}))
