"""ROME's linear hair/shoulder deformation f_H: offsets = mean + basis . beta,
release file formats, frozen, clear errors."""
import pytest
import torch
import torchvision

from mmhuman_ext.registry import MODELS


def write_hair_files(folder, num_vertices, seed=0, fc_scale=1.0):
    """The three release files (``linear_hair.pth``, ``mean_deform.pt``,
    ``u_full.pt`` (3V, 60)) with random contents."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = torchvision.models.resnet50(weights=None)
    net.fc = torch.nn.Linear(2048, 60)
    with torch.no_grad():
        net.fc.weight.mul_(fc_scale)
    paths = dict(net_ckpt=str(folder / 'linear_hair.pth'),
                 mean_path=str(folder / 'mean_deform.pt'),
                 basis_path=str(folder / 'u_full.pt'))
    torch.save(net.state_dict(), paths['net_ckpt'])
    torch.save(torch.randn(num_vertices, 3, generator=g) * 0.01,
               paths['mean_path'])
    torch.save(torch.randn(num_vertices * 3, 60, generator=g) * 0.01,
               paths['basis_path'])
    return paths, net.eval()


def test_offsets_are_mean_plus_basis_times_coefficients(tmp_path):
    paths, net = write_hair_files(tmp_path, 7)
    hair = MODELS.build(dict(type='LinearHairDeformer', **paths))
    img = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        beta = net(img)  # the image as is, no ImageNet normalisation
    assert torch.allclose(hair.coefficients(img), beta, atol=1e-5)
    mean = torch.load(paths['mean_path'])
    basis = torch.load(paths['basis_path'])  # rows v * 3 + xyz
    expect = torch.stack([
        mean + (basis @ beta[b]).reshape(7, 3) for b in range(2)])
    assert torch.allclose(hair(img), expect, atol=1e-5)
    # vertex 4, y: mean[4, 1] + sum_l basis[4 * 3 + 1, l] beta[l]
    assert torch.isclose(hair(img)[1, 4, 1],
                         mean[4, 1] + basis[13] @ beta[1], atol=1e-5)


def test_frozen_and_in_the_state_dict(tmp_path):
    paths, _ = write_hair_files(tmp_path, 5)
    hair = MODELS.build(dict(type='LinearHairDeformer', **paths))
    hair.train()
    assert not hair.training and not hair.net.training
    assert not any(p.requires_grad for p in hair.parameters())
    assert sum(p.numel() for p in hair.parameters()) == 23_630_972
    sd = hair.state_dict()
    assert sd['deform_basis'].shape == (5, 3, 60)
    assert sd['deform_mean'].shape == (5, 3)
    # without files (weights from a converted checkpoint): zero buffers
    empty = MODELS.build(dict(type='LinearHairDeformer', num_vertices=5))
    empty.load_state_dict(sd)
    img = torch.rand(1, 3, 32, 32)
    assert torch.equal(empty(img), hair(img))


def test_bad_files_are_named(tmp_path):
    paths, _ = write_hair_files(tmp_path, 5)
    with pytest.raises(FileNotFoundError, match=r'nope\.pt.*rome'):
        MODELS.build(dict(type='LinearHairDeformer',
                          mean_path=str(tmp_path / 'nope.pt')))
    torch.save(torch.zeros(5, 3, 60), tmp_path / 'bad_basis.pt')
    with pytest.raises(ValueError, match=r'bad_basis\.pt.*\(3V, 60\)'):
        MODELS.build(dict(type='LinearHairDeformer',
                          basis_path=str(tmp_path / 'bad_basis.pt')))
    torch.save(torch.zeros(4 * 3, 60), tmp_path / 'short.pt')
    with pytest.raises(ValueError, match=r'12 rows, expected 3 x 5'):
        MODELS.build(dict(type='LinearHairDeformer',
                          mean_path=paths['mean_path'],
                          basis_path=str(tmp_path / 'short.pt')))
    torch.save({'conv1.weight': torch.zeros(1)}, tmp_path / 'net.pth')
    with pytest.raises((KeyError, ValueError), match='net.pth'):
        MODELS.build(dict(type='LinearHairDeformer', num_vertices=5,
                          net_ckpt=str(tmp_path / 'net.pth')))
