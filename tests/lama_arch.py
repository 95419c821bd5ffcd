"""LaMa's generator (FFC ResNet, Suvorov et al. 2021) in plain PyTorch: the architecture of big-lama.

The FASTINPAINT backend runs the released TorchScript export (`big-lama.pt`), which carries its own
graph, so this port is not needed to run it. It exists to build the same network with random
weights — tiny for the tests (scripted and loaded through the same `torch.jit.load` path) and full
size for the GPU benchmark (51 M parameters, as big-lama). Module names follow the original (`ffc.convl2l`,
`bn_l`, `fu.conv_layer` ...), but the layer indices are shifted by one, so the original training
checkpoint does not load into it as is: the TorchScript export is the supported format.
"""

from __future__ import annotations

import torch
from torch import nn


class FourierUnit(nn.Module):
    """A 1x1 convolution in the frequency domain: every output pixel sees the whole image."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv_layer = nn.Conv2d(in_channels * 2, out_channels * 2, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels * 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        ffted = torch.fft.rfftn(x.float(), dim=(-2, -1), norm="ortho")
        ffted = torch.stack((ffted.real, ffted.imag), dim=-1).permute(0, 1, 4, 2, 3).contiguous()
        ffted = ffted.view(b, -1, h, w // 2 + 1)
        ffted = self.relu(self.bn(self.conv_layer(ffted.to(x.dtype))))
        ffted = ffted.view(b, -1, 2, h, w // 2 + 1).permute(0, 1, 3, 4, 2).contiguous().float()
        out = torch.fft.irfftn(torch.complex(ffted[..., 0], ffted[..., 1]), s=(h, w), dim=(-2, -1), norm="ortho")
        return out.to(x.dtype)


class SpectralTransform(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.downsample = nn.AvgPool2d(kernel_size=2, stride=2) if stride == 2 else nn.Identity()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, out_channels // 2, kernel_size=1, bias=False),
                                   nn.BatchNorm2d(out_channels // 2), nn.ReLU(inplace=True))
        self.fu = FourierUnit(out_channels // 2, out_channels // 2)
        self.conv2 = nn.Conv2d(out_channels // 2, out_channels, kernel_size=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(self.downsample(x))
        return self.conv2(x + self.fu(x))


class FFC(nn.Module):
    """Fast Fourier convolution: a local (conv) and a global (spectral) branch exchanging features."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, ratio_gin: float, ratio_gout: float,
                 stride: int = 1, padding: int = 0, dilation: int = 1, padding_type: str = "reflect") -> None:
        super().__init__()
        in_cg = int(in_channels * ratio_gin)
        in_cl = in_channels - in_cg
        out_cg = int(out_channels * ratio_gout)
        out_cl = out_channels - out_cg
        self.ratio_gin, self.ratio_gout = ratio_gin, ratio_gout
        self.global_in_num = in_cg

        def conv(cin: int, cout: int) -> nn.Module:
            if cin == 0 or cout == 0:
                return nn.Identity()
            return nn.Conv2d(cin, cout, kernel_size, stride, padding, dilation, bias=False, padding_mode=padding_type)

        self.convl2l = conv(in_cl, out_cl)
        self.convl2g = conv(in_cl, out_cg)
        self.convg2l = conv(in_cg, out_cl)
        self.convg2g = nn.Identity() if in_cg == 0 or out_cg == 0 else SpectralTransform(in_cg, out_cg, stride)

    def forward(self, x_l: torch.Tensor, x_g: torch.Tensor | None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        out_l: torch.Tensor | None = None
        out_g: torch.Tensor | None = None
        if self.ratio_gout != 1:
            out_l = self.convl2l(x_l)
            if x_g is not None and self.global_in_num > 0:
                out_l = out_l + self.convg2l(x_g)
        if self.ratio_gout != 0:
            out_g = self.convl2g(x_l)
            if x_g is not None and self.global_in_num > 0:
                out_g = out_g + self.convg2g(x_g)
        return out_l, out_g


class FFC_BN_ACT(nn.Module):  # noqa: N801 - the original name, so checkpoint keys match
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, ratio_gin: float = 0.0,
                 ratio_gout: float = 0.0, stride: int = 1, padding: int = 0, dilation: int = 1,
                 activation: bool = True) -> None:
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, ratio_gin, ratio_gout, stride, padding, dilation)
        out_cg = int(out_channels * ratio_gout)
        out_cl = out_channels - out_cg
        self.bn_l = nn.Identity() if out_cl == 0 else nn.BatchNorm2d(out_cl)
        self.bn_g = nn.Identity() if out_cg == 0 else nn.BatchNorm2d(out_cg)
        self.act_l = nn.ReLU(inplace=True) if activation and out_cl else nn.Identity()
        self.act_g = nn.ReLU(inplace=True) if activation and out_cg else nn.Identity()

    def forward(self, x: tuple[torch.Tensor, torch.Tensor | None]) -> tuple[torch.Tensor, torch.Tensor | None]:
        out_l, out_g = self.ffc(x[0], x[1])
        assert out_l is not None
        out_l = self.act_l(self.bn_l(out_l))
        if out_g is not None:
            out_g = self.act_g(self.bn_g(out_g))
        return out_l, out_g


class FFCResnetBlock(nn.Module):
    def __init__(self, dim: int, ratio: float) -> None:
        super().__init__()
        self.conv1 = FFC_BN_ACT(dim, dim, 3, ratio, ratio, padding=1)
        self.conv2 = FFC_BN_ACT(dim, dim, 3, ratio, ratio, padding=1)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor | None]) -> tuple[torch.Tensor, torch.Tensor | None]:
        id_l, id_g = x
        x_l, x_g = self.conv2(self.conv1(x))
        x_l = x_l + id_l
        if x_g is not None and id_g is not None:
            x_g = x_g + id_g
        return x_l, x_g


class _ToTuple(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return x, None


class ConcatTupleLayer(nn.Module):
    def forward(self, x: tuple[torch.Tensor, torch.Tensor | None]) -> torch.Tensor:
        x_l, x_g = x
        if x_g is None:
            return x_l
        return torch.cat([x_l, x_g], dim=1)


class FFCResNetGenerator(nn.Module):
    """big-lama: ngf=64, 3 downsamplings, 18 residual FFC blocks with 75 % global channels."""

    def __init__(self, input_nc: int = 4, output_nc: int = 3, ngf: int = 64, n_downsampling: int = 3,
                 n_blocks: int = 18, ratio: float = 0.75, max_features: int = 1024) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), _ToTuple(), FFC_BN_ACT(input_nc, ngf, 7)]
        for i in range(n_downsampling):
            mult = 2**i
            gout = ratio if i == n_downsampling - 1 else 0.0
            layers.append(FFC_BN_ACT(min(max_features, ngf * mult), min(max_features, ngf * mult * 2), 3,
                                     ratio_gin=0.0, ratio_gout=gout, stride=2, padding=1))
        features = min(max_features, ngf * 2**n_downsampling)
        layers += [FFCResnetBlock(features, ratio) for _ in range(n_blocks)]
        layers.append(ConcatTupleLayer())
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            cin, cout = min(max_features, ngf * mult), min(max_features, ngf * mult // 2)
            layers += [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                       nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class InpaintingModel(nn.Module):
    """The interface of the released `big-lama.pt`: (image 0..1, mask 0/1) -> inpainted image 0..1."""

    def __init__(self, generator: FFCResNetGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        masked = image * (1 - mask)
        predicted = self.generator(torch.cat([masked, mask], dim=1))
        return mask * predicted + (1 - mask) * image


def build(tiny: bool = False) -> InpaintingModel:
    if tiny:
        return InpaintingModel(FFCResNetGenerator(ngf=8, n_downsampling=2, n_blocks=1))
    return InpaintingModel(FFCResNetGenerator())


def save_torchscript(model: InpaintingModel, path: str) -> None:
    """Script and save like the released export, so tests load it through `torch.jit.load`."""
    import warnings

    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(model).save(path)
