# ORFNT 128 -> 256 on TED-Talks, stage 4 of 4 (BlenderNet + SR): BlenderNet
# with its x2 PixelShuffle block fine-tuned at 256, everything else frozen;
# pyramid perceptual, L1, BCE and LSGAN on the final image. 200k iterations
# from the last stage-3 checkpoint. The released 128 -> 256 model.
_base_ = ['./orfnt-s1-geometry_1xb8-100ki_ted-128to256.py']

model = dict(train_stage='blender_sr')
max_iters = 200000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
load_from = ('work_dirs/orfnt-s3-joint_1xb8-200ki_ted-128to256/'
             'iter_200000.pth')
