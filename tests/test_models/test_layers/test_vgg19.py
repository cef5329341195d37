"""The shared VGG-19 feature extractor: layers, frozen, local weights."""
import pytest
import torch
import torchvision

from mmhuman_ext.models.layers.vgg19 import (VGG19FeatureExtractor,
                                             build_vgg19_features)


def test_layers_shapes_and_frozen():
    vgg = VGG19FeatureExtractor(layers=('relu1_1', 'relu3_1', 'relu5_1'))
    out = vgg(torch.rand(1, 3, 64, 64) * 2 - 1)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        'relu1_1': (1, 64, 64, 64), 'relu3_1': (1, 256, 16, 16),
        'relu5_1': (1, 512, 4, 4)}
    assert not any(p.requires_grad for p in vgg.parameters())
    vgg.train()
    assert not vgg.training
    with pytest.raises(ValueError, match='unknown VGG-19 layers'):
        VGG19FeatureExtractor(layers=('relu6_1', ))


def test_weights_load_from_a_local_torchvision_state_dict(tmp_path):
    ref = torchvision.models.vgg19(weights=None)
    path = tmp_path / 'vgg19.pth'
    torch.save(ref.state_dict(), path)
    vgg = VGG19FeatureExtractor(str(path), layers=('relu2_1', ))
    x = torch.rand(1, 3, 32, 32)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = ref.features[:7]((x - mean) / std)
    torch.testing.assert_close(vgg(x * 2 - 1)['relu2_1'], expected,
                               atol=1e-5, rtol=1e-4)


def test_missing_weights_name_the_file_and_the_source():
    with pytest.raises(FileNotFoundError, match=r'/nope/vgg19\.pth.*'
                       r'vgg19-dcbb9e9d\.pth'):
        build_vgg19_features('/nope/vgg19.pth')
