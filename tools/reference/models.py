"""Reference definitions of the three networks in PyTorch: FIP's context aggregation network (CAN),
VDSR and CRNN. Their state_dict() names are exactly what Gpu.Models loads, so weights trained in
PyTorch with these classes load unchanged (save them with safetensors_io.save(path,
model.state_dict(), model_metadata(model))).

- CAN follows Chen, Xu and Koltun (ICCV 2017) and their public code: 3x3 convolutions without bias,
  dilations 1, 2, 4, ..., then 1, each followed by the adaptive norm lambda*x + mu*BN(x) and
  LeakyReLU(0.2); a 1x1 convolution with bias to 3 channels last. BN eps is 1e-3 (TF-slim).
- VDSR follows the public pytorch-vdsr layout (input, residual_layer.N.conv, output; no biases).
- CRNN follows the public crnn.pytorch layout (cnn.convN / cnn.batchnormN, rnn.0 / rnn.1 each a
  bidirectional LSTM and its embedding Linear).

Maths: ../../../shared/SPEC.md (FIP, VDSR, CRNN).
"""
import torch
from torch import nn

CAN_SLOPE = 0.2
CAN_NORM_EPS = 1e-3


class AdaptiveNorm(nn.Module):
    """lambda * x + mu * BN(x), lambda and mu scalars per layer (1 and 0 at initialisation)."""

    def __init__(self, channels, eps=CAN_NORM_EPS):
        super().__init__()
        self.lam = nn.Parameter(torch.tensor(1.0))
        self.mu = nn.Parameter(torch.tensor(0.0))
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=0.001)

    def forward(self, x):
        return self.lam * x + self.mu * self.bn(x)


class CanLayer(nn.Module):
    def __init__(self, in_channels, width, dilation):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, 3, padding=dilation, dilation=dilation, bias=False)
        self.norm = AdaptiveNorm(width)
        self.dilation = dilation

    def forward(self, x):
        return nn.functional.leaky_relu(self.norm(self.conv(x)), CAN_SLOPE)


def can_dilations(depth):
    """Dilations of the 3x3 layers of a CAN of `depth` layers in all (the last is the 1x1):
    1, 2, ..., 2^(depth-3), then 1."""
    if depth < 3:
        raise ValueError(f"a CAN needs at least 3 layers, not {depth}")
    return [2 ** s for s in range(depth - 2)] + [1]


class Can(nn.Module):
    """FIP's context aggregation network. CAN24: depth 9 (dilations 1..64, then 1, then the 1x1),
    width 24; CAN32: depth 10 (1..128, 1), width 32. `widths` gives each 3x3 layer its own output
    channels instead (a model narrowed by structured pruning, gpuc compress --structured)."""

    def __init__(self, depth=9, width=24, in_channels=3, out_channels=3, identity_init=True, widths=None):
        super().__init__()
        self.dilations = can_dilations(depth)
        widths = list(widths) if widths is not None else [width] * len(self.dilations)
        if len(widths) != len(self.dilations):
            raise ValueError(f"a CAN of depth {depth} has {len(self.dilations)} 3x3 layers, not {len(widths)} widths")
        channels = [in_channels] + widths
        self.layers = nn.ModuleList(CanLayer(channels[i], widths[i], d) for i, d in enumerate(self.dilations))
        self.output = nn.Conv2d(widths[-1], out_channels, 1, bias=True)
        if identity_init:
            self.identity_init()

    def identity_init(self):
        """w[o, c, centre] = 1 where o = c, else 0: an untrained network is near the identity."""
        with torch.no_grad():
            for layer in [*(l.conv for l in self.layers), self.output]:
                layer.weight.zero_()
                k = layer.weight.shape[-1] // 2
                for o in range(min(layer.weight.shape[0], layer.weight.shape[1])):
                    layer.weight[o, o, k, k] = 1.0
            self.output.bias.zero_()

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.output(x)


class FoldedCan(nn.Module):
    """A CAN for inference with stored statistics: each layer's adaptive norm folded into its
    convolution (see fold_can), so a layer is conv with bias then LeakyReLU."""

    def __init__(self, convs, output):
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.output = output

    def forward(self, x):
        for conv in self.convs:
            x = nn.functional.leaky_relu(conv(x), CAN_SLOPE)
        return self.output(x)


def fold_can(model):
    """The FoldedCan equal to model.eval() (SPEC.md, adaptive norm): per output channel
    alpha = lambda + mu*gamma/sigma scales the conv weights and beta' = mu*(beta - gamma*mean/sigma)
    becomes the bias, sigma = sqrt(running_var + eps). The model itself is left unchanged."""
    convs = []
    with torch.no_grad():
        for layer in model.layers:
            norm, conv = layer.norm, layer.conv
            sigma = torch.sqrt(norm.bn.running_var + norm.bn.eps)
            alpha = norm.lam + norm.mu * norm.bn.weight / sigma
            shift = norm.mu * (norm.bn.bias - norm.bn.weight * norm.bn.running_mean / sigma)
            folded = nn.Conv2d(conv.in_channels, conv.out_channels, 3, padding=conv.dilation,
                               dilation=conv.dilation, bias=True).to(conv.weight.dtype)
            folded.weight.copy_(conv.weight * alpha.view(-1, 1, 1, 1))
            folded.bias.copy_(shift)
            convs.append(folded)
        output = nn.Conv2d(model.output.in_channels, model.output.out_channels, 1, bias=True).to(model.output.weight.dtype)
        output.load_state_dict(model.output.state_dict())
    return FoldedCan(convs, output).eval()


def can24(**kwargs):
    return Can(depth=9, width=24, **kwargs)


def can32(**kwargs):
    return Can(depth=10, width=32, **kwargs)


class ConvReluBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv(x))


class Vdsr(nn.Module):
    """VDSR on the luminance upscaled by bicubic: 1->64, `middle` x 64->64 (18 in the paper), 64->1,
    ReLU after all but the last, output = input + residual."""

    def __init__(self, middle=18, width=64):
        super().__init__()
        if width != 64:
            raise ValueError("the public layout fixes the width at 64")
        self.residual_layer = nn.Sequential(*[ConvReluBlock() for _ in range(middle)])
        self.input = nn.Conv2d(1, 64, 3, padding=1, bias=False)
        self.output = nn.Conv2d(64, 1, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.input(x))
        out = self.residual_layer(out)
        return self.output(out) + x


# BT.601 studio range of MATLAB's rgb2ycbcr (what VDSR uses), on values in [0, 1], as
# Gpu.Ops.Image.ColorConversion; the inverse is the exact inverse of the matrix.
_YCBCR = torch.tensor([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]],
                      dtype=torch.float64) / 255
_YCBCR_OFFSET = torch.tensor([16.0, 128.0, 128.0], dtype=torch.float64) / 255


def rgb_to_ycbcr(rgb):
    m, offset = _YCBCR.to(rgb.dtype), _YCBCR_OFFSET.to(rgb.dtype)
    return torch.einsum("oc,nchw->nohw", m, rgb) + offset.view(1, 3, 1, 1)


def ycbcr_to_rgb(ycc):
    inverse = torch.linalg.inv(_YCBCR)
    m, offset = inverse.to(ycc.dtype), (inverse @ _YCBCR_OFFSET).to(ycc.dtype)
    return torch.einsum("oc,nchw->nohw", m, ycc) - offset.view(1, 3, 1, 1)


def bicubic(x, height, width):
    """PyTorch's bicubic (a = -0.75, align_corners=False), as Gpu.Ops.Image.BicubicResize."""
    return nn.functional.interpolate(x, size=(height, width), mode="bicubic", align_corners=False)


def vdsr_upscale_rgb(model, rgb, scale):
    """The whole VDSR pipeline on RGB in [0, 1]: Y by bicubic then the network, CbCr by bicubic,
    back to RGB, clamped to [0, 1]."""
    n, _, h, w = rgb.shape
    ycc = bicubic(rgb_to_ycbcr(rgb), h * scale, w * scale)
    y = model(ycc[:, :1])
    return ycbcr_to_rgb(torch.cat([y, ycc[:, 1:]], 1)).clamp(0, 1)


class BidirectionalLSTM(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.rnn = nn.LSTM(n_in, n_hidden, bidirectional=True)
        self.embedding = nn.Linear(n_hidden * 2, n_out)

    def forward(self, x):
        recurrent, _ = self.rnn(x)
        t, b, h = recurrent.size()
        return self.embedding(recurrent.view(t * b, h)).view(t, b, -1)


class Crnn(nn.Module):
    """CRNN on 1 x 32 x W grayscale: the conv stack of crnn.pytorch (64, 128, 256+BN, 256, 512+BN,
    512, 2x2 512+BN), then BiLSTM -> Linear -> BiLSTM -> Linear. `widths` scales the conv channels
    (default the paper's), `hidden` the LSTMs (256)."""

    def __init__(self, classes=37, hidden=256, widths=(64, 128, 256, 256, 512, 512, 512), height=32):
        super().__init__()
        if height != 32:
            raise ValueError("the conv stack reduces height 32 to 1")
        kernels, paddings = [3, 3, 3, 3, 3, 3, 2], [1, 1, 1, 1, 1, 1, 0]
        cnn = nn.Sequential()

        def conv_relu(i, batch_norm=False):
            n_in = 1 if i == 0 else widths[i - 1]
            cnn.add_module(f"conv{i}", nn.Conv2d(n_in, widths[i], kernels[i], 1, paddings[i]))
            if batch_norm:
                cnn.add_module(f"batchnorm{i}", nn.BatchNorm2d(widths[i]))
            cnn.add_module(f"relu{i}", nn.ReLU(True))

        conv_relu(0)
        cnn.add_module("pooling0", nn.MaxPool2d(2, 2))
        conv_relu(1)
        cnn.add_module("pooling1", nn.MaxPool2d(2, 2))
        conv_relu(2, True)
        conv_relu(3)
        cnn.add_module("pooling2", nn.MaxPool2d((2, 2), (2, 1), (0, 1)))
        conv_relu(4, True)
        conv_relu(5)
        cnn.add_module("pooling3", nn.MaxPool2d((2, 2), (2, 1), (0, 1)))
        conv_relu(6, True)
        self.cnn = cnn
        self.rnn = nn.Sequential(BidirectionalLSTM(widths[6], hidden, hidden),
                                 BidirectionalLSTM(hidden, hidden, classes))

    def forward(self, x):
        """x: N x 1 x 32 x W; returns T x N x classes logits (T = W/4 + 1)."""
        conv = self.cnn(x)
        assert conv.size(2) == 1, "the conv stack must reduce the height to 1"
        return self.rnn(conv.squeeze(2).permute(2, 0, 1))


CRNN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def model_metadata(model, **extra):
    """The safetensors __metadata__ Gpu.Models reads to recognise the architecture."""
    if isinstance(model, Can):
        meta = {"architecture": "can", "dilations": ",".join(map(str, model.dilations)),
                "norm_eps": str(model.layers[0].norm.bn.eps), "slope": str(CAN_SLOPE)}
    elif isinstance(model, Vdsr):
        meta = {"architecture": "vdsr"}
    elif isinstance(model, Crnn):
        meta = {"architecture": "crnn", "alphabet": CRNN_ALPHABET,
                "norm_eps": str(model.cnn.batchnorm2.eps)}
    else:
        raise TypeError(f"not a reference model: {type(model).__name__}")
    meta.update({k: str(v) for k, v in extra.items()})
    return meta


def parameter_count(model):
    """Learned parameters (BN running statistics excluded), as SPEC.md counts them."""
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    for name, model in [("CAN24", can24()), ("CAN32", can32()), ("VDSR", Vdsr()), ("CRNN", Crnn())]:
        print(f"{name}: {parameter_count(model):,} parameters")
