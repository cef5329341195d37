# Cross-identity test of the stage-2 model (thesis Table 4.2): one pair per
# test video, the driver a random frame of another subject (fixed seed), the
# driver's crop transform replaced by the source's. FID (Inception-V3)
# against the source frames, CSIM with ArcFace (insightface IResNet-100 on
# the face crop), IQA with HyperIQA (KonIQ weights, pyiqa's file). For CSIM
# with the VGGFace2 ResNet-50 of the identity loss instead:
#   id_embedder=dict(type='FaceIdentityLoss', ckpt=pretrained['vggface2']),
#   face_crop=False
# Use with tools/test.py and the stage-2 checkpoint.
_base_ = ['./cvthead-s2_2xb8-20e_vox1-256x256.py']

test_dataloader = dict(
    dataset=dict(mode='cross_test', cross_seed=0))
test_evaluator = dict(
    _delete_=True,
    type='CrossReenactMetric',
    inception_ckpt='data/pretrained/inception_v3_google-0cc3c7bd.pth',
    id_embedder=dict(
        type='ArcFaceEmbedder',
        depth=100,
        ckpt='data/pretrained/ms1mv3_arcface_r100_fp16_backbone.pth'),
    face_crop=True,
    iqa=dict(
        type='HyperIQA',
        ckpt='data/pretrained/HyperIQA-resnet50-koniq10k-c96c41b1.pth'))
