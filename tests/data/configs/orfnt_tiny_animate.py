# A tiny ORFNT of the real architecture (random weights in the tests of
# the motion-transfer API and tool): input 32, output 64.
model = dict(
    type='ORFNTMotionTransfer', train_stage='joint',
    data_preprocessor=dict(type='MotionTransferDataPreprocessor',
                           in_size=32, out_size=64),
    motion_net=dict(type='DensePoseFlowNet', base_channels=4,
                    tex_signal_ch=12, geo_signal_ch=8),
    warp_generator=dict(type='MultiScaleWarpingGenerator',
                        channels=(16, 8, 8), bottleneck_blocks=1),
    texture_branch=dict(
        type='NeuralTextureBranch', encoder_channels=(8, 8, 16, 16, 16),
        code_channels=16, tex_signal_ch=12, geo_signal_ch=8,
        translator_channels=16, num_res_blocks=1,
        atlas_up_channels=(16, 16, 16), tex_channels=4,
        geo_up_channels=(16, 8, 8, 8)),
    blender=dict(type='BlenderNet', base_channels=8, upscale=2),
    discriminator=dict(type='ResNetPatchDiscriminator', base_channels=4,
                       max_channels=8, num_down=3))
